"""Computing, storing and auditing a model's clearance.

A clearance is recomputed when the model is registered, when a work is registered
that matches one of its training items, when a linked work's terms change, and when
the clearance of a twin (a model with the same weights) changes or an admin releases
one. A new row and an audit entry are written only when the verdict or its evidence
changed, so the history of rows is the history of what governed the model's calls.

Twins: the same weights registered again under another name, with a clean manifest,
must not launder a blocked model. A model carries the per-use verdicts of each twin's
own evidence (the stricter wins), unless an admin recorded why not (a TwinRelease).
For python adapters the weights' hash is of the module's source, which can hold several
models, so twins there also name the same function.
"""

import hashlib
from typing import Any, cast

import rfc8785
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from governance.adapters.base import ModelKind
from governance.aimodels.models import (
    AiModel,
    ClearanceLink,
    ModelClearance,
    TrainingDataset,
    TrainingItem,
    TwinRelease,
)
from governance.audit.entries import ClearanceOfUse, ClearanceRecorded
from governance.services import Services
from rights import registry
from rights.clearance import (
    ClearanceEvidence,
    DatasetInfo,
    ItemLink,
    Verdict,
    carry_over,
    clear_use,
    worst,
)
from rights.terms import Use

# Which terms of the training data a model of each kind depends on. Restoration models
# paint new pixels: generative models, so generative training terms bind them too.
REQUIRED_USES: dict[ModelKind, tuple[Use, ...]] = {
    ModelKind.GENERATION: (Use.DATA_MINING, Use.AI_TRAINING, Use.AI_GENERATIVE_TRAINING),
    ModelKind.RESTORATION: (Use.DATA_MINING, Use.AI_TRAINING, Use.AI_GENERATIVE_TRAINING),
    ModelKind.DETECTOR: (Use.DATA_MINING, Use.AI_TRAINING),
}
TRAINING_USES = (Use.DATA_MINING, Use.AI_TRAINING, Use.AI_GENERATIVE_TRAINING)


def compute(session: Session, model: AiModel) -> tuple[Verdict, ClearanceEvidence]:
    """The overall verdict and, per training use, its verdict and evidence, bound by the
    evidence of each twin the model has not been released from."""
    evidence = compute_own(session, model)
    released = releases_of(session, model)
    for twin in twins_of(session, model):
        if twin.id not in released:
            named = f"model {twin.id} ('{twin.name}')"
            evidence = carry_over(evidence, compute_own(session, twin), named)
    return worst(evidence.uses[u].verdict for u in evidence.required), evidence


def twin_identity(model: AiModel) -> tuple[str, str]:
    """What twins share: the weights' hash, and for python adapters the function."""
    function = model.adapter.rsplit(":", 1)[-1] if model.adapter.startswith("python:") else ""
    return model.weights_sha256, function


def twins_of(session: Session, model: AiModel) -> list[AiModel]:
    """The other registered models with the same weights, oldest first."""
    query = (
        select(AiModel)
        .where(AiModel.weights_sha256 == model.weights_sha256, col(AiModel.id) != model.id)
        .order_by(col(AiModel.id))
    )
    return [m for m in session.exec(query) if twin_identity(m) == twin_identity(model)]


def releases_of(session: Session, model: AiModel) -> dict[int, TwinRelease]:
    """The twins whose evidence `model` does not carry, by the admin's recorded reason."""
    query = select(TwinRelease).where(TwinRelease.model_id == model.id)
    return {release.twin_id: release for release in session.exec(query)}


def compute_own(session: Session, model: AiModel) -> ClearanceEvidence:
    """Per training use, its verdict and evidence from the model's own manifest."""
    datasets = [
        DatasetInfo(
            position=d.position,
            name=d.name,
            declared_license=d.declared_license,
            concluded_license=d.concluded_license,
            legal_basis=d.legal_basis,
            item_count=d.item_count,
        )
        for d in datasets_of(session, model)
    ]
    query = (
        sa_select(
            col(TrainingItem.dataset_position),
            col(TrainingItem.position),
            col(TrainingItem.sha256),
            col(TrainingItem.source),
            col(ClearanceLink.work_id),
            col(ClearanceLink.match),
            col(ClearanceLink.distance),
        )
        .join(TrainingItem, col(TrainingItem.id) == col(ClearanceLink.item_id))
        .where(col(ClearanceLink.model_id) == model.id)
    )
    links = [ItemLink(*row) for row in session.execute(query)]
    works = registry.work_terms(session, {link.work_id for link in links})
    # A disputed (or rejected) work's terms bind no one: its items are judged by the
    # other works they match, or as matching none.
    links = [link for link in links if works[link.work_id].binds]
    uses = {u: clear_use(u, datasets, links, works) for u in TRAINING_USES}
    required = REQUIRED_USES[ModelKind(model.kind)]
    return ClearanceEvidence(required=list(required), uses=uses)


def datasets_of(session: Session, model: AiModel) -> list[TrainingDataset]:
    query = (
        select(TrainingDataset)
        .where(TrainingDataset.model_id == model.id)
        .order_by(col(TrainingDataset.position))
    )
    return list(session.exec(query))


def latest(session: Session, model_id: int) -> ModelClearance | None:
    query = (
        select(ModelClearance)
        .where(ModelClearance.model_id == model_id)
        .order_by(col(ModelClearance.id).desc())
        .limit(1)
    )
    return session.exec(query).first()


def evidence_of(row: ModelClearance) -> ClearanceEvidence:
    """A stored clearance's evidence, typed (rows from before versions parse as version 1)."""
    return ClearanceEvidence.model_validate(row.uses)


def evidence_sha256(evidence: ClearanceEvidence) -> str:
    return hashlib.sha256(rfc8785.dumps(cast(Any, evidence.model_dump(mode="json")))).hexdigest()


def recompute(
    session: Session,
    services: Services,
    model: AiModel,
    trigger: str,
    actor: str,
    cascade: bool = True,
) -> ModelClearance:
    """Recompute the clearance; store and audit it when it differs from the last one.

    A change is passed on to the twins that carry this model's evidence (`cascade`); a
    twin's own evidence does not change with it, so it passes nothing further on.
    """
    assert model.id is not None
    verdict, evidence = compute(session, model)
    previous = latest(session, model.id)
    # Compared as parsed, so that evidence stored before versions were stated is the same.
    if previous is not None and previous.verdict == verdict and evidence_of(previous) == evidence:
        return previous
    entry = services.audit.record(
        session,
        f"model:{model.id}",
        actor,
        ClearanceRecorded(
            model_id=model.id,
            weights_sha256=model.weights_sha256,
            verdict=verdict,
            trigger=trigger,
            uses={
                use.value: ClearanceOfUse(
                    verdict=judged.verdict,
                    reasons=judged.reasons[:20],
                    matched_items=judged.matched_items,
                )
                for use, judged in evidence.uses.items()
            },
            evidence_sha256=evidence_sha256(evidence),
        ),
    )
    row = ModelClearance(
        model_id=model.id,
        verdict=verdict.value,
        # Keeps the keys "required" and "uses" that the clearance stage reads.
        uses=evidence.model_dump(mode="json"),
        trigger=trigger,
        audit_index=entry.idx,
    )
    session.add(row)
    session.flush()
    if cascade:
        for twin in twins_of(session, model):
            if model.id not in releases_of(session, twin):
                recompute(session, services, twin, f"twin model:{model.id}", actor, False)
    return row


def recompute_for(
    session: Session, services: Services, model_ids: set[int] | list[int], trigger: str, actor: str
) -> None:
    for model_id in sorted(model_ids):
        model = session.get(AiModel, model_id)
        assert model is not None
        recompute(session, services, model, trigger, actor)
