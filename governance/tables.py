"""Every table of the service, imported in one place for alembic."""

from governance.aimodels.models import (
    AiModel,
    ClearanceLink,
    ModelClearance,
    TrainingDataset,
    TrainingItem,
)
from governance.audit.models import AuditCheckpoint, AuditEntry, AuditNode
from governance.auth.models import ApiKey
from governance.calls.models import ModelCall
from governance.credentials.models import OutputLabel
from governance.reports.models import CallReport, ExplainCheck
from governance.reviews.models import CallReview
from governance.works.models import WorkSighting
from rights.models import RightsHolder, Work, WorkFingerprint, WorkName, WorkTermsVersion

__all__ = [
    "AiModel",
    "ApiKey",
    "AuditCheckpoint",
    "AuditEntry",
    "AuditNode",
    "CallReport",
    "CallReview",
    "ClearanceLink",
    "ExplainCheck",
    "ModelCall",
    "ModelClearance",
    "OutputLabel",
    "RightsHolder",
    "TrainingDataset",
    "TrainingItem",
    "Work",
    "WorkFingerprint",
    "WorkName",
    "WorkSighting",
    "WorkTermsVersion",
]
