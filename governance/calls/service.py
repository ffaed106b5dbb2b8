"""Governed restorations and generations: parse, run the pipeline, read records back."""

from typing import Any

import numpy as np
from PIL import Image
from sqlmodel import Session

from governance.aimodels.models import AiModel
from governance.aimodels.service import model_or_404
from governance.auth.models import Role
from governance.auth.service import Principal, require_role
from governance.calls import pipeline
from governance.calls.context import CallContext, CallStatus, keep_file
from governance.calls.models import ModelCall
from governance.calls.schemas import CallOut, GenerationIn, ModelRef, RestorationMetadata
from governance.errors import (
    CallNotFound,
    Forbidden,
    InputTooLarge,
    InvalidInput,
    InvalidMask,
    NoOutput,
    WrongModelKind,
)
from governance.images import DecodedImage, decode_image
from governance.metadata import parse_metadata_field
from governance.services import Services
from rights.fingerprints import HIGH_DEPTH, gray8

CALL_READERS = (Role.OPERATOR, Role.AUDITOR, Role.CONSERVATOR, Role.ADMIN)
# Who may fetch an output, by the call's status: unreleased outputs only for review.
OUTPUT_READERS = {
    CallStatus.RELEASED.value: tuple(Role),
    CallStatus.PENDING_REVIEW.value: (Role.CONSERVATOR, Role.AUDITOR, Role.ADMIN),
}


def parse_restoration_metadata(raw: str | None) -> RestorationMetadata:
    return parse_metadata_field(RestorationMetadata, raw, "send {\"model\": <id>} as 'metadata'")


def _model_of_kind(session: Session, model_id: int, kind: str) -> AiModel:
    model = model_or_404(session, model_id)
    if model.kind != kind:
        raise WrongModelKind(f"model {model_id} is a {model.kind} model, not a {kind} model")
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


def _rgb(image: Image.Image) -> np.ndarray:
    if image.mode in HIGH_DEPTH:
        image = gray8(image)
    return np.asarray(image.convert("RGB"), dtype=np.uint8)


def _damage(data: bytes, services: Services) -> np.ndarray:
    """True where the mask is light: over half of its mode's range, whatever the depth."""
    image = _decoded(data, services, "mask").image
    if image.mode == "F":
        return np.asarray(image) > 0.5
    if image.mode in HIGH_DEPTH:  # 16-bit masks, which Pillow may also open as "I"
        return np.asarray(image) > 32767
    if "A" in image.getbands() or "transparency" in image.info:
        # A transparent pixel marks nothing, whatever colour hides under it.
        grey_alpha = np.asarray(image.convert("LA"))
        return (grey_alpha[..., 0] > 127) & (grey_alpha[..., 1] > 127)
    return np.asarray(image.convert("L")) > 127


def restore(
    session: Session,
    services: Services,
    principal: Principal,
    image_data: bytes,
    mask_data: bytes,
    metadata: RestorationMetadata,
) -> CallOut:
    require_role(principal, Role.OPERATOR)
    model = _model_of_kind(session, metadata.model, "restoration")
    decoded = _decoded(image_data, services, "image")
    image = _rgb(decoded.image)
    mask = _damage(mask_data, services)
    if mask.shape != image.shape[:2]:
        raise InvalidMask(
            f"the mask is {mask.shape[1]}x{mask.shape[0]}; the image is "
            f"{image.shape[1]}x{image.shape[0]}"
        )
    if not mask.any():
        raise InvalidMask("the mask marks no damaged pixel (white or light marks damage)")
    request: dict[str, Any] = {
        "model": model.id,
        "parameters": metadata.parameters,
        "visible_label": metadata.visible_label,
    }
    call = CallContext(session, services, principal, model, "restoration", request)
    # The uploads are kept with the record whatever the outcome: evidence of what was asked.
    call.input_sha256 = keep_file(call, image_data)
    call.mask_sha256 = keep_file(call, mask_data)
    request.update(
        input_sha256=call.input_sha256,
        mask_sha256=call.mask_sha256,
        width=int(image.shape[1]),
        height=int(image.shape[0]),
        damaged_pixels=int(mask.sum()),
    )
    call.image, call.mask = image, mask
    call.input_data, call.input_media_type = image_data, decoded.media_type
    return call_out(pipeline.run(call, pipeline.RESTORATION_STAGES), model)


def generate(
    session: Session, services: Services, principal: Principal, body: GenerationIn
) -> CallOut:
    require_role(principal, Role.OPERATOR)
    settings = services.settings
    if len(body.prompt) > settings.max_prompt_chars:
        raise InvalidInput(f"the prompt is longer than {settings.max_prompt_chars} characters")
    if not body.prompt.strip():
        raise InvalidInput("the prompt is blank")
    low, high = settings.generation_min_side, settings.generation_max_side
    for side, value in (("width", body.width), ("height", body.height)):
        if not low <= value <= high:
            raise InvalidInput(f"{side} must be between {low} and {high} pixels, not {value}")
    model = _model_of_kind(session, body.model, "generation")
    request: dict[str, Any] = body.model_dump()
    call = CallContext(session, services, principal, model, "generation", request)
    return call_out(pipeline.run(call, pipeline.GENERATION_STAGES), model)


def _call_or_404(session: Session, call_id: int) -> ModelCall:
    row = session.get(ModelCall, call_id)
    if row is None:
        raise CallNotFound(f"there is no call {call_id}")
    return row


def get_call(session: Session, principal: Principal, call_id: int) -> CallOut:
    require_role(principal, *CALL_READERS)
    row = _call_or_404(session, call_id)
    model = session.get(AiModel, row.model_id)
    assert model is not None
    return call_out(row, model)


def get_output(
    session: Session, services: Services, principal: Principal, call_id: int
) -> tuple[bytes, str]:
    """The output's bytes and media type, to whom the call's status allows."""
    row = _call_or_404(session, call_id)
    # Only those who may read the call learn more than "not released to you".
    if row.status != CallStatus.RELEASED.value and principal.role not in CALL_READERS:
        raise Forbidden(f"the output of call {call_id} is not released to {principal.role}")
    readers = OUTPUT_READERS.get(row.status)
    if readers is None or row.output_sha256 is None:
        raise NoOutput(f"call {call_id} is {row.status}: it has no output to serve")
    if principal.role not in readers:
        raise Forbidden(f"the output of a {row.status} call is not released to {principal.role}")
    return services.blobs.get(row.output_sha256), "image/png"


def call_out(row: ModelCall, model: AiModel) -> CallOut:
    assert row.id is not None and model.id is not None
    return CallOut(
        id=row.id,
        kind=row.kind,
        status=row.status,
        reasons=row.reasons,
        stages=row.stages,
        model=ModelRef(
            id=model.id, name=model.name, version=model.version, weights_sha256=model.weights_sha256
        ),
        request=row.request,
        input_sha256=row.input_sha256,
        mask_sha256=row.mask_sha256,
        output_sha256=row.output_sha256,
        output_url=f"/v1/calls/{row.id}/output" if row.output_sha256 else None,
        audit_index=row.audit_index,
        created_at=row.created_at,
    )
