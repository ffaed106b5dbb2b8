"""Registering models and reading them and their clearance. Flushes, never commits."""

import hashlib
from typing import Any, cast

import rfc8785
from sqlalchemy import insert
from sqlmodel import Session, col, func, select

from governance.adapters.base import LoadedModel, ModelKind
from governance.adapters.loader import InvalidAdapterError, parse_adapter
from governance.aimodels import clearance, twins
from governance.aimodels.links import link_model_items
from governance.aimodels.lookup import (
    calibration_of,
    model_or_404,
    resolve,
    retirement_of,
    versions_of,
)
from governance.aimodels.models import AiModel, TrainingDataset, TrainingItem
from governance.aimodels.schemas import (
    CalibrationSummary,
    ClearanceOut,
    ClearanceSummary,
    DatasetOut,
    ModelIn,
    ModelOut,
    ModelPage,
    RetirementOut,
)
from governance.audit.entries import (
    ModelRegistered,
    RecordedDataset,
    RecordedManifest,
    RecordedModel,
)
from governance.auth.models import Role
from governance.auth.service import Principal, require_role
from governance.builtin.detector_manifest import detector_training_manifest
from governance.builtin.training_manifests import training_manifest
from governance.db import begin_write, unit_of_work
from governance.errors import (
    DuplicateModel,
    InvalidAdapter,
    InvalidInput,
    InvalidManifest,
    ModelLoadFailed,
    WeightsMismatch,
)
from governance.model_errors import ModelRunError
from governance.services import Services
from rights.errors import InvalidManifestError
from rights.fingerprints import signed64
from rights.spdx_import import is_spdx_document, spdx_to_training_manifest
from rights.training_manifests import TrainingManifest, parse_training_manifest

READERS = (Role.OPERATOR, Role.AUDITOR, Role.ADMIN, Role.CONSERVATOR)
CLEARANCE_READERS = (Role.OPERATOR, Role.AUDITOR, Role.ADMIN)
BUILTIN_MODELS = {
    "builtin-restoration": "restoration",
    "builtin-generation": "generation",
    "builtin-detector": "detector",
}


def read_training_manifest(raw: dict[str, Any]) -> tuple[TrainingManifest, str]:
    """The manifest in this project's format, and the format it came in."""
    try:
        if is_spdx_document(raw):
            return parse_training_manifest(spdx_to_training_manifest(raw)), "spdx-3.0"
        return parse_training_manifest(raw), "govern"
    except InvalidManifestError as exc:
        raise InvalidManifest(f"the training manifest is not valid: {exc}") from None


def register_model(
    session: Session, services: Services, principal: Principal, body: ModelIn
) -> ModelOut:
    require_role(principal, Role.ADMIN)
    return _register(session, services, body, principal.actor)


def _register(session: Session, services: Services, body: ModelIn, actor: str) -> ModelOut:
    try:
        kind = ModelKind(body.kind)
    except ValueError:
        kinds = ", ".join(k.value for k in ModelKind)
        raise InvalidInput(f"unknown kind '{body.kind}'; kinds are: {kinds}") from None
    try:
        spec = parse_adapter(body.adapter, kind)
    except InvalidAdapterError as exc:
        raise InvalidAdapter(str(exc)) from None
    manifest, manifest_format = read_training_manifest(body.training_manifest)
    loaded = _load(services, spec, kind)
    if body.weights_sha256 is not None and body.weights_sha256 != loaded.weights_sha256:
        raise WeightsMismatch(
            f"the weights the service loaded hash to {loaded.weights_sha256}, "
            f"not {body.weights_sha256}"
        )
    # The weights are loaded and hashed before the write lock is taken.
    begin_write(session)
    # Under the audit lock: versions stay unique, and works registered meanwhile are seen.
    services.audit.lock(session)
    _check_new_version(session, body, kind)
    canonical = manifest.model_dump(mode="json", exclude_none=True)
    model = AiModel(
        name=body.name,
        kind=kind.value,
        adapter=str(spec),
        version=body.version,
        weights_sha256=loaded.weights_sha256,
        manifest_format=manifest_format,
        manifest_sha256=hashlib.sha256(rfc8785.dumps(cast(Any, canonical))).hexdigest(),
        item_count=manifest.item_count,
        registered_by=actor,
    )
    session.add(model)
    session.flush()
    assert model.id is not None
    _store_manifest(session, model.id, manifest)
    links = link_model_items(session, services, model.id)
    out_datasets = _datasets(session, model)
    services.audit.record(
        session,
        f"model:{model.id}",
        actor,
        ModelRegistered(
            model=RecordedModel(
                id=model.id,
                name=model.name,
                kind=model.kind,
                adapter=model.adapter,
                version=model.version,
                weights_sha256=model.weights_sha256,
            ),
            manifest=RecordedManifest(
                format=manifest_format,
                sha256=model.manifest_sha256,
                items=model.item_count,
                datasets=[RecordedDataset.model_validate(d.model_dump()) for d in out_datasets],
            ),
            linked_items=links,
        ),
    )
    clearance.recompute(session, services, model, "registered", actor)
    return model_out(session, model)


def _check_new_version(session: Session, body: ModelIn, kind: ModelKind) -> None:
    versions = versions_of(session, body.name)
    if any(m.version == body.version for m in versions):
        raise DuplicateModel(
            f"a model named '{body.name}' with version '{body.version}' is registered "
            "already: register a new version under another version string"
        )
    # A call naming the model gets one of its versions: they must all do the same kind.
    if versions and versions[0].kind != kind.value:
        raise InvalidInput(
            f"model '{body.name}' is a {versions[0].kind} model: its new version must be one "
            f"too, not a {kind.value} model"
        )


def _load(services: Services, spec: Any, kind: ModelKind) -> LoadedModel:
    try:
        return services.model_loader.load(spec, kind)
    except ModelRunError as exc:
        raise ModelLoadFailed(f"the model cannot be loaded from {spec}: {exc}") from None


def _store_manifest(session: Session, model_id: int, manifest: TrainingManifest) -> None:
    for position, dataset in enumerate(manifest.datasets):
        session.add(
            TrainingDataset(
                model_id=model_id,
                position=position,
                name=dataset.name,
                declared_license=dataset.declared_license,
                concluded_license=dataset.concluded_license,
                legal_basis=dataset.legal_basis,
                acquired_at=dataset.acquired_at.isoformat() if dataset.acquired_at else None,
                item_count=len(dataset.items),
            )
        )
        rows = [
            {
                "model_id": model_id,
                "dataset_position": position,
                "position": i,
                "sha256": item.sha256,
                "phash": signed64(int(item.phash, 16)) if item.phash else None,
                "source": item.source,
            }
            for i, item in enumerate(dataset.items)
        ]
        # Core inserts in one executemany: a 100,000-item manifest in seconds, not minutes.
        if rows:
            session.execute(insert(TrainingItem), rows)
    session.flush()


def ensure_builtin_models(session: Session, services: Services) -> None:
    """Register the built-in models on first start, with their own training manifests."""
    for name, kind in BUILTIN_MODELS.items():
        if session.exec(select(AiModel.id).where(AiModel.name == name)).first() is None:
            body = ModelIn(
                name=name,
                kind=kind,
                adapter=f"builtin:{kind}",
                version="1",
                training_manifest=_builtin_manifest(kind),
            )
            # Two processes starting together: the one that waited on the lock finds
            # the model registered by the other, and the savepoint keeps its session usable.
            try:
                with session.begin_nested():
                    _register(session, services, body, "system")
            except DuplicateModel:
                continue


def _builtin_manifest(kind: str) -> dict[str, Any]:
    if kind == ModelKind.DETECTOR.value:
        return detector_training_manifest()
    return training_manifest(kind)


def register_builtin_models(services: Services) -> None:
    """Register the built-in models if this database has not seen them yet."""
    with unit_of_work(services.engine) as session:
        ensure_builtin_models(session, services)


def get_model(session: Session, principal: Principal, model_id: int) -> ModelOut:
    require_role(principal, *READERS)
    return model_out(session, model_or_404(session, model_id))


def get_model_named(
    session: Session, principal: Principal, name: str, version: str | None
) -> ModelOut:
    """The version a call naming `name` (and `version`, if given) would get."""
    require_role(principal, *READERS)
    return model_out(session, resolve(session, name, version))


def list_models(
    session: Session, principal: Principal, limit: int, offset: int, name: str | None = None
) -> ModelPage:
    """Every model, or every version of the one named `name` (none: an empty page)."""
    require_role(principal, *READERS)
    query = select(AiModel).order_by(col(AiModel.id)).offset(offset).limit(limit)
    counted = select(func.count()).select_from(AiModel)
    if name is not None:
        query = query.where(AiModel.name == name)
        counted = counted.where(col(AiModel.name) == name)
    items = [model_out(session, m) for m in session.exec(query)]
    return ModelPage(items=items, total=session.exec(counted).one())


def get_clearance(session: Session, principal: Principal, model_id: int) -> ClearanceOut:
    require_role(principal, *CLEARANCE_READERS)
    model = model_or_404(session, model_id)
    row = clearance.latest(session, model_id)
    assert row is not None and model.id is not None, "every model is cleared at registration"
    evidence = clearance.evidence_of(row)
    return ClearanceOut(
        schema_version=evidence.schema_version,
        model_id=model.id,
        model_name=model.name,
        verdict=row.verdict,
        required=evidence.required,
        uses=evidence.uses,
        twins=twins.twins_out(session, model),
        trigger=row.trigger,
        computed_at=row.computed_at,
        audit_index=row.audit_index,
    )


def _datasets(session: Session, model: AiModel) -> list[DatasetOut]:
    return [
        DatasetOut(
            position=d.position,
            name=d.name,
            declared_license=d.declared_license,
            concluded_license=d.concluded_license,
            legal_basis=d.legal_basis,
            acquired_at=d.acquired_at,
            items=d.item_count,
        )
        for d in clearance.datasets_of(session, model)
    ]


def model_out(session: Session, model: AiModel) -> ModelOut:
    assert model.id is not None
    row = clearance.latest(session, model.id)
    assert row is not None
    retired = retirement_of(session, model.id)
    return ModelOut(
        id=model.id,
        name=model.name,
        kind=model.kind,
        adapter=model.adapter,
        version=model.version,
        weights_sha256=model.weights_sha256,
        manifest_format=model.manifest_format,
        manifest_sha256=model.manifest_sha256,
        item_count=model.item_count,
        datasets=_datasets(session, model),
        clearance=ClearanceSummary(
            verdict=row.verdict,
            uses={
                use.value: judged.verdict.value
                for use, judged in clearance.evidence_of(row).uses.items()
            },
            computed_at=row.computed_at,
            audit_index=row.audit_index,
        ),
        retired=RetirementOut(
            reason=retired.reason,
            retired_by=retired.retired_by,
            retired_at=retired.created_at,
            audit_index=retired.audit_index,
        )
        if retired
        else None,
        calibration=_calibration(session, model),
        created_at=model.created_at,
    )


def _calibration(session: Session, model: AiModel) -> CalibrationSummary | None:
    if model.kind != ModelKind.DETECTOR.value:
        return None
    row = calibration_of(session, model)
    if row is None:
        return None
    assert row.id is not None
    return CalibrationSummary(
        id=row.id,
        method=row.method,
        parameters=row.parameters,
        target_fpr=row.target_fpr,
        threshold=row.threshold,
        figures=row.figures,
        calibrated_by=row.calibrated_by,
        calibrated_at=row.created_at,
        audit_index=row.audit_index,
    )
