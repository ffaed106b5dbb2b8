"""Which detectors run on an image, and how each one's score is read. Reads only."""

from dataclasses import dataclass

from sqlmodel import Session, col, select

from governance.adapters.base import ModelKind
from governance.aimodels.lookup import calibration_of, usable_version
from governance.aimodels.models import AiModel


@dataclass(frozen=True)
class CalibrationInForce:
    id: int
    method: str
    parameters: dict[str, float | list[float]]
    threshold: float
    target_fpr: float


@dataclass(frozen=True)
class ActiveDetector:
    """What a run needs, copied out of the session so that no read is open meanwhile."""

    model_id: int
    name: str
    version: str
    adapter: str
    weights_sha256: str
    calibration: CalibrationInForce | None


def active_detectors(session: Session) -> list[ActiveDetector]:
    """Per detector name, the version a call naming it would get if it is usable: its
    newest version that is not retired and whose latest clearance is `cleared`. A name
    with no such version runs nothing (a blocked or retired detector is not consulted),
    and older cleared versions do not run beside the newest: one opinion per detector."""
    query = (
        select(AiModel)
        .where(AiModel.kind == ModelKind.DETECTOR.value)
        .order_by(col(AiModel.id).desc())
    )
    by_name: dict[str, list[AiModel]] = {}
    for model in session.exec(query):
        by_name.setdefault(model.name, []).append(model)
    chosen = [usable_version(session, versions) for versions in by_name.values()]
    out = []
    for model in sorted((m for m in chosen if m is not None), key=lambda m: m.id or 0):
        assert model.id is not None
        found = calibration_of(session, model)
        calibration = None
        if found is not None:
            assert found.id is not None
            calibration = CalibrationInForce(
                id=found.id,
                method=found.method,
                parameters=found.parameters,
                threshold=found.threshold,
                target_fpr=found.target_fpr,
            )
        out.append(
            ActiveDetector(
                model_id=model.id,
                name=model.name,
                version=model.version,
                adapter=model.adapter,
                weights_sha256=model.weights_sha256,
                calibration=calibration,
            )
        )
    return out
