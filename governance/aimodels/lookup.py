"""Finding a model by what a request names: an id (one version), a name (its newest
cleared version, else its newest version) or a name and a version. Reads only."""

from sqlmodel import Session, col, select

from governance.aimodels import clearance
from governance.aimodels.models import AiModel, DetectorCalibration, ModelRetirement
from governance.errors import ModelNotFound
from rights.clearance import Verdict


def model_or_404(session: Session, model_id: int) -> AiModel:
    model = session.get(AiModel, model_id)
    if model is None:
        raise ModelNotFound(f"there is no model {model_id}")
    return model


def retirement_of(session: Session, model_id: int) -> ModelRetirement | None:
    query = select(ModelRetirement).where(ModelRetirement.model_id == model_id)
    return session.exec(query).first()


def calibration_of(session: Session, model: AiModel) -> DetectorCalibration | None:
    """The detector calibration in force: the newest recorded for the model's weights."""
    query = (
        select(DetectorCalibration)
        .where(
            DetectorCalibration.model_id == model.id,
            DetectorCalibration.weights_sha256 == model.weights_sha256,
        )
        .order_by(col(DetectorCalibration.id).desc())
        .limit(1)
    )
    return session.exec(query).first()


def versions_of(session: Session, name: str) -> list[AiModel]:
    """Every version registered under `name`, the newest (last registered) first."""
    query = select(AiModel).where(AiModel.name == name).order_by(col(AiModel.id).desc())
    return list(session.exec(query))


def resolve(session: Session, model: int | str, version: str | None = None) -> AiModel:
    """The model a request names. A name alone gives its newest version that is cleared
    and not retired; when there is none, its newest version not retired, else its newest
    version: a call on it is then blocked, with the reason recorded."""
    if isinstance(model, int):
        found = model_or_404(session, model)
        if version is not None and found.version != version:
            # An id names one version: with another, the request names nothing.
            raise ModelNotFound(f"model {model} is version '{found.version}', not '{version}'")
        return found
    versions = versions_of(session, model)
    if not versions:
        raise ModelNotFound(f"no model is named '{model}'")
    if version is not None:
        for candidate in versions:
            if candidate.version == version:
                return candidate
        known = ", ".join(f"'{m.version}'" for m in reversed(versions))
        raise ModelNotFound(f"model '{model}' has no version '{version}'; it has {known}")
    usable = usable_version(session, versions)
    if usable is not None:
        return usable
    live = [m for m in versions if m.id is not None and retirement_of(session, m.id) is None]
    return (live or versions)[0]


def usable_version(session: Session, versions: list[AiModel]) -> AiModel | None:
    """Of `versions` (newest first), the newest that is not retired and whose latest
    clearance is `cleared`: the one a call naming them runs."""
    for candidate in versions:
        if candidate.id is None or retirement_of(session, candidate.id) is not None:
            continue
        row = clearance.latest(session, candidate.id)
        if row is not None and row.verdict == Verdict.CLEARED.value:
            return candidate
    return None


def parse_ref(text: str) -> int | str:
    """A path segment that is an id (digits) or a name: names are never digits alone."""
    return int(text) if text.isdigit() else text
