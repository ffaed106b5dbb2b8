"""Every table of the service, imported in one place for alembic."""

from governance.auth.models import ApiKey
from rights.models import RightsHolder, Work, WorkFingerprint, WorkTermsVersion

__all__ = ["ApiKey", "RightsHolder", "Work", "WorkFingerprint", "WorkTermsVersion"]
