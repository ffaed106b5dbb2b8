"""Rows that no audit entry records: inserted behind the service's back.

Each is an anti-join against the entries' subject and index columns (which the log's
own check holds to the signed bytes), so the database does the work and only the
rows found come back.
"""

from typing import Any

from sqlalchemy import ColumnElement, String, and_, cast, exists, func, literal, or_, select
from sqlmodel import Session, col

from governance.aimodels.models import (
    AiModel,
    DetectorCalibration,
    ModelClearance,
    ModelRetirement,
    TwinRelease,
)
from governance.audit.models import AuditEntry
from governance.audit.reconcile_fields import Problems
from governance.auth.models import ApiKey
from governance.calls.models import ModelCall
from governance.credentials.models import OutputLabel
from rights.models import Work, WorkTermsVersion


def subject_of(prefix: str, id_column: Any) -> ColumnElement[str]:
    return literal(f"{prefix}:") + cast(id_column, String)


def recorded_by(kind: str, subject: ColumnElement[str], index: Any = None) -> ColumnElement[bool]:
    """An entry of `kind` about `subject` exists (the one at `index`, when given)."""
    where = [col(AuditEntry.kind) == kind, col(AuditEntry.subject) == subject]
    if index is not None:
        where.append(col(AuditEntry.idx) == index)
    return exists().where(and_(*where))


def unrecorded_rows(session: Session, problems: Problems) -> None:
    """Add a problem for each live row that no entry records, table by table."""
    registered = [
        (col(Work.id), "works", "work", "work.registered"),
        (col(AiModel.id), "ai_models", "model", "model.registered"),
        (col(ApiKey.id), "api_keys", "key", "key.created"),
    ]
    for id_column, name, prefix, kind in registered:
        query = (
            select(id_column)
            .where(~recorded_by(kind, subject_of(prefix, id_column)))
            .order_by(id_column)
            .limit(problems.room)
        )
        for row_id in session.exec(query).scalars():  # type: ignore[call-overload]
            problems.add(f"{name} row {row_id} is recorded by no {kind} entry")
    # Rows that name their entry: it must exist, be of their kind and be about them.
    indexed = [
        (ModelCall.id, ModelCall.audit_index, ModelCall.id, "model_calls", "call"),
        (
            ModelClearance.id,
            ModelClearance.audit_index,
            ModelClearance.model_id,
            "model_clearances",
            "model",
        ),
        (
            TwinRelease.id,
            TwinRelease.audit_index,
            TwinRelease.model_id,
            "model_twin_releases",
            "model",
        ),
        (OutputLabel.id, OutputLabel.audit_index, OutputLabel.call_id, "output_labels", "call"),
        (
            ModelRetirement.id,
            ModelRetirement.audit_index,
            ModelRetirement.model_id,
            "model_retirements",
            "model",
        ),
        # The newest calibration is the one in force: one slipped in would change screens.
        (
            DetectorCalibration.id,
            DetectorCalibration.audit_index,
            DetectorCalibration.model_id,
            "detector_calibrations",
            "model",
        ),
    ]
    kinds = [
        "call.recorded",
        "model.clearance",
        "model.twin_released",
        "output.labelled",
        "model.retired",
        "detector.calibrated",
    ]
    for (row_id_of, index_of, about, name, prefix), kind in zip(indexed, kinds, strict=True):
        id_column, index, subject_id = col(row_id_of), col(index_of), col(about)
        claims = (
            select(id_column, index)
            .where(~recorded_by(kind, subject_of(prefix, subject_id), index))
            .order_by(id_column)
            .limit(problems.room)
        )
        for row_id, audit_index in session.exec(claims):  # type: ignore[call-overload]
            problems.add(
                f"{name} row {row_id} is recorded by no {kind} entry (it names entry {audit_index})"
            )
    _unrecorded_terms(session, problems)


def _unrecorded_terms(session: Session, problems: Problems) -> None:
    """Version 1 comes with the work's registration, each later one with a terms.changed
    entry: a version beyond 1 + the work's terms.changed entries has no entry."""
    changes = (
        select(func.count())
        .where(
            col(AuditEntry.kind) == "terms.changed",
            col(AuditEntry.subject) == subject_of("work", col(WorkTermsVersion.work_id)),
        )
        .scalar_subquery()
    )
    version = col(WorkTermsVersion.version)
    query = (
        select(col(WorkTermsVersion.id), col(WorkTermsVersion.work_id), version)
        .where(or_(version < 1, version > changes + 1))
        .order_by(col(WorkTermsVersion.id))
        .limit(problems.room)
    )
    for row_id, work_id, number in session.exec(query):  # type: ignore[call-overload]
        problems.add(
            f"work_terms_versions row {row_id} (work {work_id} version {number}) "
            "is recorded by no entry"
        )
