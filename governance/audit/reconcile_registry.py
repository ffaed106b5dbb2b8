"""Reconciling the rows registrations write: works and their terms, models and keys."""

from collections import defaultdict
from typing import Any

from sqlalchemy import tuple_
from sqlmodel import Session, col, select

from governance.aimodels.models import AiModel, TrainingDataset
from governance.audit.entries import (
    KeyCreated,
    KeyRevoked,
    ModelRegistered,
    TermsChanged,
    WorkRegistered,
)
from governance.audit.models import AuditEntry
from governance.audit.reconcile_fields import (
    Entries,
    Problems,
    compare,
    data_of,
    missing,
    subject_id,
)
from governance.auth.models import ApiKey
from rights.fingerprints import hash_hex
from rights.models import Work, WorkFingerprint, WorkTermsVersion


def works(session: Session, entries: Entries, problems: Problems) -> None:
    recorded = data_of(entries, WorkRegistered)
    ids = [data.work.id for _, data in recorded]
    works = {w.id: w for w in session.exec(select(Work).where(col(Work.id).in_(ids)))}
    firsts = {
        v.work_id: v
        for v in session.exec(
            select(WorkTermsVersion).where(
                col(WorkTermsVersion.work_id).in_(ids), WorkTermsVersion.version == 1
            )
        )
    }
    prints: dict[int, dict[str, str]] = defaultdict(dict)
    fingerprint_rows = select(WorkFingerprint).where(col(WorkFingerprint.work_id).in_(ids))
    for p in session.exec(fingerprint_rows.order_by(col(WorkFingerprint.id))):
        suffix = "" if p.orientation == "original" else "_" + p.orientation
        prints[p.work_id][p.kind + suffix] = hash_hex(p.value)
    for entry, data in recorded:
        logged, work = data.work, works.get(data.work.id)
        if work is None:
            missing(problems, entry, f"work {logged.id}")
            continue
        compare(
            problems,
            entry,
            f"works row {work.id}",
            [
                *((f, getattr(logged, f), getattr(work, f)) for f in _WORK_FIELDS),
                ("fingerprints", logged.fingerprints, prints.get(logged.id, {})),
            ],
        )
        first = firsts.get(logged.id)
        if first is None:
            missing(problems, entry, f"terms version 1 of work {logged.id}")
            continue
        reads = first.embedded.get("reads") if isinstance(first.embedded, dict) else None
        compare(
            problems,
            entry,
            f"work_terms_versions row {first.id} (work {logged.id} version 1)",
            [
                ("terms", logged.terms, first.effective),
                ("effective_from", logged.terms_effective_from, first.effective_from),
                ("embedded reads", data.embedded_terms_read, reads),
                ("changed_by", entry.actor, first.changed_by),
            ],
        )


_WORK_FIELDS = (
    "holder_id",
    "title",
    "creator",
    "license",
    "sha256",
    "pixel_sha256",
    "media_type",
    "width",
    "height",
    "byte_size",
    "created_at",
)


def terms(session: Session, entries: Entries, problems: Problems) -> None:
    changed = data_of(entries, TermsChanged)
    keys = [(subject_id(e), data.version.version) for e, data in changed]
    query = select(WorkTermsVersion).where(
        tuple_(col(WorkTermsVersion.work_id), col(WorkTermsVersion.version)).in_(keys)
    )
    rows = {(v.work_id, v.version): v for v in session.exec(query)} if keys else {}
    for entry, data in changed:
        logged, key = data.version, (subject_id(entry), data.version.version)
        row = rows.get(key)
        if row is None:
            missing(problems, entry, f"terms version {key[1]} of work {key[0]}")
            continue
        compare(
            problems,
            entry,
            f"work_terms_versions row {row.id} (work {key[0]} version {key[1]})",
            [
                ("terms", logged.terms, row.effective),
                ("effective_from", logged.effective_from, row.effective_from),
                ("declared", logged.declared, row.declared),
                ("embedded", logged.embedded, row.embedded),
                ("changed_by", logged.changed_by, row.changed_by),
            ],
        )


def models(session: Session, entries: Entries, problems: Problems) -> None:
    registered = data_of(entries, ModelRegistered)
    ids = [data.model.id for _, data in registered]
    models = {m.id: m for m in session.exec(select(AiModel).where(col(AiModel.id).in_(ids)))}
    datasets: dict[int, list[dict[str, Any]]] = defaultdict(list)
    dataset_rows = select(TrainingDataset).where(col(TrainingDataset.model_id).in_(ids))
    for d in session.exec(dataset_rows.order_by(col(TrainingDataset.position))):
        datasets[d.model_id].append(
            {
                "position": d.position,
                "name": d.name,
                "declared_license": d.declared_license,
                "concluded_license": d.concluded_license,
                "legal_basis": d.legal_basis,
                "acquired_at": d.acquired_at,
                "items": d.item_count,
            }
        )
    for entry, data in registered:
        logged, model = data.model, models.get(data.model.id)
        if model is None:
            missing(problems, entry, f"model {logged.id}")
            continue
        fields = ("name", "kind", "adapter", "version", "weights_sha256")
        compare(
            problems,
            entry,
            f"ai_models row {model.id}",
            [
                *((f, getattr(logged, f), getattr(model, f)) for f in fields),
                ("manifest_format", data.manifest.format, model.manifest_format),
                ("manifest_sha256", data.manifest.sha256, model.manifest_sha256),
                ("item_count", data.manifest.items, model.item_count),
                ("registered_by", entry.actor, model.registered_by),
                (
                    "datasets",
                    [d.model_dump(mode="json") for d in data.manifest.datasets],
                    datasets.get(logged.id, []),
                ),
            ],
        )


def keys(session: Session, entries: Entries, problems: Problems) -> None:
    created = data_of(entries, KeyCreated)
    revocations = data_of(entries, KeyRevoked)
    ids = [subject_id(e) for e, _ in created + revocations]
    keys = {k.id: k for k in session.exec(select(ApiKey).where(col(ApiKey.id).in_(ids)))}
    subjects = [e.subject for e, _ in created]
    revoked_in_log = set(
        session.exec(
            select(AuditEntry.subject).where(
                AuditEntry.kind == KeyRevoked.entry_kind, col(AuditEntry.subject).in_(subjects)
            )
        )
    )
    for entry, data in created:
        key = keys.get(subject_id(entry))
        if key is None:
            missing(problems, entry, f"key {subject_id(entry)}")
            continue
        compare(
            problems,
            entry,
            f"api_keys row {key.id}",
            [
                ("name", data.name, key.name),
                ("role", data.role, key.role),
                ("holder_id", data.holder_id, key.holder_id),
                ("revoked", entry.subject in revoked_in_log, key.revoked_at is not None),
            ],
        )
    for entry, revoked in revocations:
        key = keys.get(subject_id(entry))
        if key is None:
            missing(problems, entry, f"key {subject_id(entry)}")
            continue
        compare(
            problems,
            entry,
            f"api_keys row {key.id}",
            [("name", revoked.name, key.name), ("revoked", True, key.revoked_at is not None)],
        )
