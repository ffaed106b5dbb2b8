"""Reconciling detector calibrations (detector.calibrated) with their rows.

The newest detector_calibrations row for a model's weights is the one in force, so a
row changed or added behind the log's back changes what every later screen says: each
row must name its entry, and say what it says.
"""

from typing import Any

from sqlalchemy import String, and_, cast, exists, literal
from sqlmodel import Session, col, select

from governance.aimodels.models import DetectorCalibration
from governance.audit.entries import DetectorCalibrated
from governance.audit.models import AuditEntry
from governance.audit.reconcile_fields import (
    Problems,
    RowCheck,
    audit_index,
    by_audit_index,
    kind_check,
)

calibrations = kind_check(
    DetectorCalibrated,
    RowCheck[DetectorCalibrated, int, DetectorCalibration](
        table="detector_calibrations",
        key=audit_index,
        load=by_audit_index(DetectorCalibration),
        absent=None,
        label=lambda row, _: str(row.id),
        fields=lambda entry, data, row: [
            ("model_id", data.model_id, row.model_id),
            ("weights_sha256", data.weights_sha256, row.weights_sha256),
            ("method", data.method, row.method),
            ("parameters", data.parameters, row.parameters),
            ("figures", data.figures, row.figures),
            ("target_fpr", data.target_fpr, row.target_fpr),
            ("threshold", data.threshold, row.threshold),
            ("calibrated_by", entry.actor, row.calibrated_by),
        ],
    ),
)


def unrecorded_calibrations(session: Session, problems: Problems) -> None:
    """Calibration rows whose named entry is missing, of another kind or about another
    model."""
    kind = DetectorCalibrated.entry_kind
    row_id, index = col(DetectorCalibration.id), col(DetectorCalibration.audit_index)
    subject: Any = literal("model:") + cast(col(DetectorCalibration.model_id), String)
    recorded = exists().where(
        and_(
            col(AuditEntry.kind) == kind,
            col(AuditEntry.subject) == subject,
            col(AuditEntry.idx) == index,
        )
    )
    query = select(row_id, index).where(~recorded).order_by(row_id).limit(problems.room)
    for found, named in session.exec(query):
        problems.add(
            f"detector_calibrations row {found} is recorded by no {kind} entry "
            f"(it names entry {named})"
        )
