"""Every table of the service, imported in one place for alembic."""

from governance.audit.models import AuditCheckpoint, AuditEntry, AuditNode
from governance.auth.models import ApiKey
from rights.models import RightsHolder, Work, WorkFingerprint, WorkTermsVersion

__all__ = [
    "ApiKey",
    "AuditCheckpoint",
    "AuditEntry",
    "AuditNode",
    "RightsHolder",
    "Work",
    "WorkFingerprint",
    "WorkTermsVersion",
]
