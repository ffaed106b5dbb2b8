"""Helpers that make governed calls over HTTP, shared by the pipeline and label tests."""

import json

import numpy as np
from PIL import Image

from governance.auth.service import create_key
from governance.db import unit_of_work
from tests.support.helpers import auth, encode
from tests.support.model_helpers import manifest, register_model, unrelated_item
from tests.support.service_fixture import Service


def _mask(width: int, height: int, box: tuple[int, int, int, int] = (10, 10, 30, 20)) -> bytes:
    mask = np.zeros((height, width), dtype=np.uint8)
    x0, y0, x1, y1 = box
    mask[y0:y1, x0:x1] = 255
    return encode(Image.fromarray(mask))


def restore(service: Service, image: bytes, mask: bytes, model: int, key: str = "operator"):
    return service.client.post(
        "/v1/restorations",
        headers=auth(service.keys[key]),
        files={"file": ("in.png", image, "image/png"), "mask": ("mask.png", mask, "image/png")},
        data={"metadata": json.dumps({"model": model})},
    )


def generate(service: Service, model: int, prompt: str = "a bowl of fruit", **extra):
    body = {"model": model, "prompt": prompt, "seed": 3, "width": 96, "height": 64, **extra}
    return service.client.post("/v1/generations", headers=auth(service.keys["operator"]), json=body)


def _model(service: Service, *items, **kw) -> int:
    response = register_model(
        service.client, service.keys["admin"], manifest(*(items or [unrelated_item(0)])), **kw
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


def _conservator(service: Service) -> None:
    services = service.app.state.services
    with unit_of_work(services.engine) as session:
        service.keys["conservator"] = create_key(session, services.audit, "conservator", "c")[1]
