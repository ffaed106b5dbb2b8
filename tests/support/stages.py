"""A stage harness: build a call's context by hand and run one stage, without HTTP.

    with harness(service) as h:
        call = h.restoration(model_id, image, mask)
        result = InputRights().run(call)

The session is the request's would-be session: nothing is committed unless a test
commits it.
"""

import hashlib
import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image
from sqlmodel import Session

from governance.aimodels.models import AiModel
from governance.auth.models import Role
from governance.auth.service import Principal
from governance.credentials.build import ManifestParts
from governance.pipeline.context import (
    CallContext,
    GenerationInput,
    Output,
    RestorationInput,
    Seal,
)
from governance.services import Services
from labeling.c2pa_sign import Ingredient
from tests.support.service_fixture import Service

OPERATOR = Principal(actor="key:test-operator", name="operator", role=Role.OPERATOR, holder_id=None)


@dataclass
class Harness:
    session: Session
    services: Services

    def model(self, model_id: int) -> AiModel:
        model = self.session.get(AiModel, model_id)
        assert model is not None, f"no model {model_id}"
        return model

    def restoration(self, model_id: int, image: np.ndarray, mask: np.ndarray) -> CallContext:
        data = _png(image)
        restoration = RestorationInput(
            image=image,
            mask=mask,
            data=data,
            media_type="image/png",
            input_sha256=hashlib.sha256(data).hexdigest(),
            mask_sha256=hashlib.sha256(mask.tobytes()).hexdigest(),
        )
        call = self._call(model_id, restoration, {"model": model_id, "visible_label": None})
        call.manifest = ManifestParts(parent=Ingredient(data, "image/png", "restoration input"))
        return call

    def generation(
        self, model_id: int, prompt: str, width: int = 64, height: int = 48
    ) -> CallContext:
        generation = GenerationInput(prompt=prompt, seed=1, width=width, height=height)
        request = {"model": model_id, "prompt": prompt, "seed": 1, "width": width, "height": height}
        return self._call(model_id, generation, request)

    def _call(self, model_id: int, given: Any, request: dict[str, Any]) -> CallContext:
        return CallContext(
            self.session, self.services, OPERATOR, self.model(model_id), given, request
        )


@contextmanager
def harness(service: Service) -> Iterator[Harness]:
    services: Services = service.app.state.services
    with Session(services.engine) as session:
        yield Harness(session, services)
        session.rollback()


def seal(call_id: int = 1, audit_index: int = 0) -> Seal:
    """What the seal would hand the stages inside it, made up for one stage's test."""
    return Seal(call_id=call_id, audit_index=audit_index, evidence_sha256="ab" * 32, reserve_ms=0.0)


def output_of(pixels: np.ndarray) -> Output:
    return Output(pixels=pixels.copy())


def _png(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "PNG")
    return buffer.getvalue()
