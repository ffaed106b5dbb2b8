"""Governed restorations and generations: parse the request, run the pipeline."""

from typing import Any

import numpy as np
from sqlmodel import Session

from governance.adapters.base import ModelKind
from governance.aimodels.lookup import resolve
from governance.aimodels.models import AiModel
from governance.auth.models import Role
from governance.auth.service import Principal, require_role
from governance.blobs import keep_blob
from governance.calls.schemas import CallOut, GenerationIn, NamesAModel, RestorationMetadata
from governance.calls.service import call_out
from governance.calls.status import keeps_output
from governance.credentials.build import ManifestParts
from governance.errors import InputTooLarge, InvalidInput, InvalidMask, WrongModelKind
from governance.images import DecodedImage, damaged_pixels, decode_image, rgb_pixels
from governance.metadata import parse_metadata_field
from governance.pipeline import plans
from governance.pipeline.context import CallContext, GenerationInput, RestorationInput
from governance.pipeline.run import run
from governance.reports.service import queue_report
from governance.services import Services
from labeling.c2pa_sign import Ingredient
from rights.confusables import is_blank


def parse_restoration_metadata(raw: str | None) -> RestorationMetadata:
    return parse_metadata_field(
        RestorationMetadata, raw, "send {\"model\": <id or name>} as 'metadata'"
    )


def _model_of_kind(session: Session, asked: NamesAModel, kind: ModelKind) -> AiModel:
    model = resolve(session, asked.model, asked.version)
    if model.kind != kind.value:
        named = f"model {asked.model}" if isinstance(asked.model, int) else f"model '{model.name}'"
        raise WrongModelKind(f"{named} is a {model.kind} model, not a {kind} model")
    return model


def _decoded(data: bytes, services: Services, what: str) -> DecodedImage:
    decoded = decode_image(data, services.settings)
    pixels = decoded.width * decoded.height
    if pixels > services.settings.max_model_pixels:
        raise InputTooLarge(
            f"the {what} has {decoded.width}x{decoded.height} pixels; models take at most "
            f"{services.settings.max_model_pixels}"
        )
    return decoded


def _damage(data: bytes, services: Services) -> np.ndarray:
    return damaged_pixels(_decoded(data, services, "mask").image)


def restore(
    session: Session,
    services: Services,
    principal: Principal,
    image_data: bytes,
    mask_data: bytes,
    metadata: RestorationMetadata,
) -> CallOut:
    require_role(principal, Role.OPERATOR)
    model = _model_of_kind(session, metadata, ModelKind.RESTORATION)
    decoded = _decoded(image_data, services, "image")
    image = rgb_pixels(decoded.image)
    mask = _damage(mask_data, services)
    if mask.shape != image.shape[:2]:
        raise InvalidMask(
            f"the mask is {mask.shape[1]}x{mask.shape[0]}; the image is "
            f"{image.shape[1]}x{image.shape[0]}"
        )
    if not mask.any():
        raise InvalidMask("the mask marks no damaged pixel (white or light marks damage)")
    # The uploads are kept with the record whatever the outcome: evidence of what was asked.
    input_sha256 = keep_blob(session, services.blobs, image_data)
    mask_sha256 = keep_blob(session, services.blobs, mask_data)
    request: dict[str, Any] = {
        **metadata.asked(),
        "parameters": metadata.parameters,
        "visible_label": metadata.visible_label,
        "input_sha256": input_sha256,
        "mask_sha256": mask_sha256,
        "width": int(image.shape[1]),
        "height": int(image.shape[0]),
        "damaged_pixels": int(mask.sum()),
    }
    restoration = RestorationInput(
        image=image,
        mask=mask,
        data=image_data,
        media_type=decoded.media_type,
        input_sha256=input_sha256,
        mask_sha256=mask_sha256,
    )
    call = CallContext(session, services, principal, model, restoration, request)
    call.manifest = ManifestParts(
        parent=Ingredient(image_data, decoded.media_type, "restoration input")
    )
    row = run(call, plans.RESTORATION)
    assert row.id is not None
    # Its report is a job: the row is written with the call, the job queued after commit.
    report = queue_report(session, services, row.id) if keeps_output(row.status) else None
    return call_out(row, model, report)


def generate(
    session: Session, services: Services, principal: Principal, body: GenerationIn
) -> CallOut:
    require_role(principal, Role.OPERATOR)
    settings = services.settings
    if len(body.prompt) > settings.max_prompt_chars:
        raise InvalidInput(f"the prompt is longer than {settings.max_prompt_chars} characters")
    if is_blank(body.prompt):
        # Invisible characters alone show nothing: such a prompt is blank too.
        raise InvalidInput("the prompt is blank")
    low, high = settings.generation_min_side, settings.generation_max_side
    for side, value in (("width", body.width), ("height", body.height)):
        if not low <= value <= high:
            raise InvalidInput(f"{side} must be between {low} and {high} pixels, not {value}")
    model = _model_of_kind(session, body, ModelKind.GENERATION)
    generation = GenerationInput(
        prompt=body.prompt, seed=body.seed, width=body.width, height=body.height
    )
    # As asked: a name stays a name in the record; the call's model says which version ran.
    request = {**body.asked(), **body.model_dump(exclude={"model", "version"})}
    call = CallContext(session, services, principal, model, generation, request)
    row = run(call, plans.GENERATION)
    assert row.id is not None
    # What the output resembles (nearest works and training items) is a report job too.
    report = queue_report(session, services, row.id) if keeps_output(row.status) else None
    return call_out(row, model, report)
