"""The operator's new-call page (/ui/calls/new): the models a call may name, and starting
a restoration or a generation through the pipeline's own functions, as POST
/v1/restorations and POST /v1/generations do. A refusal is the form again, with the
API's status, code and sentence."""

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlmodel import Session

from governance.adapters.base import ModelKind
from governance.aimodels import clearance
from governance.aimodels.lookup import resolve, retirement_of
from governance.aimodels.service import list_models
from governance.auth.models import Role
from governance.auth.service import Principal, require_role
from governance.calls.schemas import GenerationIn
from governance.errors import GovernError
from governance.pages.calls_refusal import InvalidRequest, Refusal, attempt, invalid_request
from governance.pipeline import service as pipeline
from governance.services import Services

# Reads one upload, refusing it as the API refuses it (too large: FileTooLarge).
Reader = Callable[[], bytes]
RESTORATION = "restoration"
GENERATION = "generation"
# "": the deployment's default (GOVERN_VISIBLE_LABEL); otherwise drawn or not.
VISIBLE_LABEL = {"": None, "yes": True, "no": False}


@dataclass(frozen=True)
class ModelChoice:
    """A model name a call may ask for, and what asking for it alone runs."""

    name: str
    runs: str  # the version a call naming the model alone gets
    verdict: str  # that version's clearance verdict (a call is blocked unless cleared)
    retired: bool  # that version is retired: a call on it is blocked


@dataclass(frozen=True)
class Limits:
    min_side: int
    max_side: int
    max_prompt_chars: int
    max_upload_bytes: int
    max_model_pixels: int


@dataclass(frozen=True)
class NewCallPage:
    restoration_models: list[ModelChoice]
    generation_models: list[ModelChoice]
    limits: Limits
    form: str | None = None  # the form a refusal answers: restoration or generation
    refusal: Refusal | None = None
    values: dict[str, str] = field(default_factory=dict)  # its text fields, kept


@dataclass(frozen=True)
class RestorationFields:
    model: str
    version: str
    visible_label: str

    def metadata(self) -> str:
        """The `metadata` part the API takes beside the files."""
        body: dict[str, Any] = {"model": self.model.strip()}
        if self.version.strip():
            body["version"] = self.version.strip()
        if VISIBLE_LABEL.get(self.visible_label) is not None:
            body["visible_label"] = VISIBLE_LABEL[self.visible_label]
        return json.dumps(body)

    def values(self) -> dict[str, str]:
        return {"model": self.model, "version": self.version, "visible_label": self.visible_label}


@dataclass(frozen=True)
class GenerationFields:
    model: str
    version: str
    prompt: str
    seed: str
    width: str
    height: str
    visible_label: str

    def body(self) -> dict[str, Any]:
        """The JSON body POST /v1/generations would take; a blank number is left to its
        default, and a number that is not one is left as typed for validation to refuse."""
        body: dict[str, Any] = {"model": self.model.strip(), "prompt": self.prompt}
        if self.version.strip():
            body["version"] = self.version.strip()
        for name in ("seed", "width", "height"):
            typed = getattr(self, name).strip()
            if typed:
                body[name] = int(typed) if re.fullmatch(r"-?\d{1,20}", typed) else typed
        if self.visible_label not in VISIBLE_LABEL:
            body["visible_label"] = self.visible_label
        elif VISIBLE_LABEL[self.visible_label] is not None:
            body["visible_label"] = VISIBLE_LABEL[self.visible_label]
        return body

    def values(self) -> dict[str, str]:
        return {
            "model": self.model,
            "version": self.version,
            "prompt": self.prompt,
            "seed": self.seed,
            "width": self.width,
            "height": self.height,
            "visible_label": self.visible_label,
        }


def new_call_page(
    session: Session,
    services: Services,
    principal: Principal,
    form: str | None = None,
    refusal: Refusal | None = None,
    values: dict[str, str] | None = None,
) -> NewCallPage:
    """The two forms, for the role that makes calls (operators, as the API allows)."""
    require_role(principal, Role.OPERATOR)
    settings = services.settings
    choices = _choices(session, services, principal)
    return NewCallPage(
        restoration_models=choices.get(ModelKind.RESTORATION.value, []),
        generation_models=choices.get(ModelKind.GENERATION.value, []),
        limits=Limits(
            min_side=settings.generation_min_side,
            max_side=settings.generation_max_side,
            max_prompt_chars=settings.max_prompt_chars,
            max_upload_bytes=settings.max_upload_bytes,
            max_model_pixels=settings.max_model_pixels,
        ),
        form=form,
        refusal=refusal,
        values=values or {},
    )


def _choices(
    session: Session, services: Services, principal: Principal
) -> dict[str, list[ModelChoice]]:
    """Each kind's model names, as GET /v1/models lists them to the key, in the order
    they were first registered."""
    names: dict[str, dict[str, None]] = {}
    offset, page_size = 0, services.settings.page_size_max
    while True:
        page = list_models(session, principal, limit=page_size, offset=offset)
        for model in page.items:
            names.setdefault(model.kind, {})[model.name] = None
        offset += len(page.items)
        if not page.items or offset >= page.total:
            break
    return {kind: [_choice(session, name) for name in found] for kind, found in names.items()}


def _choice(session: Session, name: str) -> ModelChoice:
    # What a call naming the model alone runs, found as the call will find it.
    chosen = resolve(session, name)
    assert chosen.id is not None
    row = clearance.latest(session, chosen.id)
    return ModelChoice(
        name=name,
        runs=chosen.version,
        verdict=row.verdict if row is not None else "not cleared",
        retired=retirement_of(session, chosen.id) is not None,
    )


def start_restoration(
    session: Session,
    services: Services,
    principal: Principal,
    image: Reader | None,
    mask: Reader | None,
    painted: Reader | None,
    fields: RestorationFields,
) -> int | NewCallPage:
    """The new call's id, or the form again with the refusal. `mask` is a mask file the
    person chose, `painted` the one the page's script drew from the canvas."""

    def restore() -> int:
        metadata = pipeline.parse_restoration_metadata(fields.metadata())
        if image is None:
            raise InvalidRequest("file: choose the damaged image")
        image_data = image()
        mask_data = _one_mask(mask, painted)
        call = pipeline.restore(session, services, principal, image_data, mask_data, metadata)
        return call.id

    started = attempt(session, restore)
    if isinstance(started, Refusal):
        return _form_again(session, services, principal, RESTORATION, started, fields.values())
    return started


def _one_mask(mask: Reader | None, painted: Reader | None) -> bytes:
    if mask is not None and painted is not None:
        raise InvalidRequest("mask: send one mask, the uploaded file or the painting, not both")
    chosen = mask or painted
    if chosen is None:
        raise InvalidRequest("mask: paint the damage on the image or upload a mask file")
    return chosen()


def start_generation(
    session: Session, services: Services, principal: Principal, fields: GenerationFields
) -> int | NewCallPage:
    """The new call's id, or the form again with the refusal."""

    def generate() -> int:
        try:
            body = GenerationIn.model_validate(fields.body())
        except ValidationError as exc:
            raise invalid_request(exc) from None
        return pipeline.generate(session, services, principal, body).id

    started = attempt(session, generate)
    if isinstance(started, Refusal):
        return _form_again(session, services, principal, GENERATION, started, fields.values())
    return started


def _form_again(
    session: Session,
    services: Services,
    principal: Principal,
    form: str,
    refusal: Refusal,
    values: dict[str, str],
) -> NewCallPage:
    try:
        return new_call_page(session, services, principal, form, refusal, values)
    except GovernError:
        # A key that may not see the form is answered with the call's own refusal, as
        # the API answers it.
        raise refusal.error from None
