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
    StoredEntry,
    TermsChanged,
    WorkRegistered,
)
from governance.audit.models import AuditEntry
from governance.audit.reconcile_fields import Field, RowCheck, kind_check, subject_id
from governance.auth.models import ApiKey
from rights.fingerprints import hash_hex
from rights.models import Work, WorkFingerprint, WorkTermsVersion

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

_PrintedWork = tuple[Work, dict[str, str]]  # a work and its fingerprints by name


def _works_by_id(session: Session, ids: list[int]) -> dict[int, list[_PrintedWork]]:
    prints: dict[int, dict[str, str]] = defaultdict(dict)
    fingerprint_rows = select(WorkFingerprint).where(col(WorkFingerprint.work_id).in_(ids))
    for p in session.exec(fingerprint_rows.order_by(col(WorkFingerprint.id))):
        suffix = "" if p.orientation == "original" else "_" + p.orientation
        prints[p.work_id][p.kind + suffix] = hash_hex(p.value)
    works = session.exec(select(Work).where(col(Work.id).in_(ids)))
    return {w.id: [(w, prints.get(w.id, {}))] for w in works if w.id is not None}


def _first_versions(session: Session, ids: list[int]) -> dict[int, list[WorkTermsVersion]]:
    query = select(WorkTermsVersion).where(
        col(WorkTermsVersion.work_id).in_(ids), WorkTermsVersion.version == 1
    )
    return {v.work_id: [v] for v in session.exec(query)}


def _first_version_fields(
    entry: StoredEntry[Any], data: WorkRegistered, first: WorkTermsVersion
) -> list[Field]:
    reads = first.embedded.get("reads") if isinstance(first.embedded, dict) else None
    return [
        ("terms", data.work.terms, first.effective),
        ("effective_from", data.work.terms_effective_from, first.effective_from),
        ("embedded reads", data.embedded_terms_read, reads),
        ("changed_by", entry.actor, first.changed_by),
    ]


works = kind_check(
    WorkRegistered,
    RowCheck[WorkRegistered, int, _PrintedWork](
        table="works",
        key=lambda _, data: data.work.id,
        load=_works_by_id,
        absent=lambda work_id: f"work {work_id}",
        label=lambda found, _: str(found[0].id),
        fields=lambda _, data, found: [
            *((f, getattr(data.work, f), getattr(found[0], f)) for f in _WORK_FIELDS),
            ("fingerprints", data.work.fingerprints, found[1]),
        ],
    ),
    # Checked only when the work's row is there, as its first terms version.
    RowCheck[WorkRegistered, int, WorkTermsVersion](
        table="work_terms_versions",
        key=lambda _, data: data.work.id,
        load=_first_versions,
        absent=lambda work_id: f"terms version 1 of work {work_id}",
        label=lambda first, work_id: f"{first.id} (work {work_id} version 1)",
        fields=_first_version_fields,
    ),
)

_TermsKey = tuple[int, int]  # (work id, version)


def _versions(session: Session, keys: list[_TermsKey]) -> dict[_TermsKey, list[WorkTermsVersion]]:
    query = select(WorkTermsVersion).where(
        tuple_(col(WorkTermsVersion.work_id), col(WorkTermsVersion.version)).in_(keys)
    )
    return {(v.work_id, v.version): [v] for v in session.exec(query)}


terms = kind_check(
    TermsChanged,
    RowCheck[TermsChanged, _TermsKey, WorkTermsVersion](
        table="work_terms_versions",
        key=lambda entry, data: (subject_id(entry), data.version.version),
        load=_versions,
        absent=lambda key: f"terms version {key[1]} of work {key[0]}",
        label=lambda row, key: f"{row.id} (work {key[0]} version {key[1]})",
        fields=lambda _, data, row: [
            ("terms", data.version.terms, row.effective),
            ("effective_from", data.version.effective_from, row.effective_from),
            ("declared", data.version.declared, row.declared),
            ("embedded", data.version.embedded, row.embedded),
            ("changed_by", data.version.changed_by, row.changed_by),
        ],
    ),
)

_ModelRows = tuple[AiModel, list[dict[str, Any]]]  # a model and its datasets


def _models_by_id(session: Session, ids: list[int]) -> dict[int, list[_ModelRows]]:
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
    models = session.exec(select(AiModel).where(col(AiModel.id).in_(ids)))
    return {m.id: [(m, datasets.get(m.id, []))] for m in models if m.id is not None}


def _model_fields(entry: StoredEntry[Any], data: ModelRegistered, found: _ModelRows) -> list[Field]:
    model, datasets = found
    fields = ("name", "kind", "adapter", "version", "weights_sha256")
    return [
        *((f, getattr(data.model, f), getattr(model, f)) for f in fields),
        ("manifest_format", data.manifest.format, model.manifest_format),
        ("manifest_sha256", data.manifest.sha256, model.manifest_sha256),
        ("item_count", data.manifest.items, model.item_count),
        ("registered_by", entry.actor, model.registered_by),
        ("datasets", [d.model_dump(mode="json") for d in data.manifest.datasets], datasets),
    ]


models = kind_check(
    ModelRegistered,
    RowCheck[ModelRegistered, int, _ModelRows](
        table="ai_models",
        key=lambda _, data: data.model.id,
        load=_models_by_id,
        absent=lambda model_id: f"model {model_id}",
        label=lambda found, _: str(found[0].id),
        fields=_model_fields,
    ),
)

_KeyOf = tuple[int, str]  # (key id, the entry's subject)
_RevokedKey = tuple[ApiKey, bool]  # a key, and whether the log records its revocation


def _keys_by_id(session: Session, ids: list[int]) -> dict[int, list[ApiKey]]:
    keys = session.exec(select(ApiKey).where(col(ApiKey.id).in_(ids)))
    return {k.id: [k] for k in keys if k.id is not None}


def _created_keys(session: Session, keys: list[_KeyOf]) -> dict[_KeyOf, list[_RevokedKey]]:
    rows = _keys_by_id(session, [key_id for key_id, _ in keys])
    revoked_in_log = set(
        session.exec(
            select(AuditEntry.subject).where(
                AuditEntry.kind == KeyRevoked.entry_kind,
                col(AuditEntry.subject).in_([subject for _, subject in keys]),
            )
        )
    )
    return {
        (key_id, subject): [(row, subject in revoked_in_log) for row in rows.get(key_id, [])]
        for key_id, subject in keys
    }


keys_created = kind_check(
    KeyCreated,
    RowCheck[KeyCreated, _KeyOf, _RevokedKey](
        table="api_keys",
        key=lambda entry, _: (subject_id(entry), entry.subject),
        load=_created_keys,
        absent=lambda key: f"key {key[0]}",
        label=lambda found, _: str(found[0].id),
        fields=lambda _, data, found: [
            ("name", data.name, found[0].name),
            ("role", data.role, found[0].role),
            ("holder_id", data.holder_id, found[0].holder_id),
            ("revoked", found[1], found[0].revoked_at is not None),
        ],
    ),
)

keys_revoked = kind_check(
    KeyRevoked,
    RowCheck[KeyRevoked, int, ApiKey](
        table="api_keys",
        key=lambda entry, _: subject_id(entry),
        load=_keys_by_id,
        absent=lambda key_id: f"key {key_id}",
        label=lambda key, _: str(key.id),
        fields=lambda _, data, key: [
            ("name", data.name, key.name),
            ("revoked", True, key.revoked_at is not None),
        ],
    ),
)
