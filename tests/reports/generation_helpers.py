"""Generations whose reports the tests run: works to resemble, a generator that draws a
photograph, and a generation whose report the pipeline queued."""

from typing import Any

from tests.support.helpers import auth, png_bytes, register
from tests.support.model_helpers import item_of, manifest, register_model
from tests.support.service_fixture import Service

# Draws scikit-image's astronaut for an even seed, its coffee for an odd one.
PHOTO_GENERATOR = "python:tests.support.fake_models:photo_generate"
ASTRONAUT_SEED = 2
COFFEE_SEED = 3
ALLOWED = {"ai_generative_training": "allowed", "ai_training": "allowed"}
REFUSED = {"ai_generative_training": "notAllowed"}


def work(service: Service, key: str, photo: str, title: str, terms: dict[str, str]) -> int:
    response = register(
        service.client, service.keys[key], png_bytes(photo), title=title, terms=terms
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def generator(service: Service, *photos: str, dataset: str = "training set") -> int:
    """A generation model trained on half-size copies of these photographs (known to the
    registry by their pHash alone), in one dataset of this name."""
    items = [item_of(name, exact=False) for name in photos]
    answer = register_model(
        service.client,
        service.keys["admin"],
        manifest(*items, name=dataset),
        name="painter",
        kind="generation",
        adapter=PHOTO_GENERATOR,
    )
    assert answer.status_code == 201, answer.text
    return int(answer.json()["id"])


def generation(service: Service, model: int, seed: int, prompt: str = "a portrait") -> int:
    body = {"model": model, "prompt": prompt, "seed": seed, "width": 192, "height": 192}
    answer = service.client.post(
        "/v1/generations", headers=auth(service.keys["operator"]), json=body
    )
    assert answer.status_code == 201, answer.text
    made: dict[str, Any] = answer.json()
    assert made["status"] in ("released", "pending_review"), made
    # The pipeline queues a generation's report with the call, as a restoration's.
    assert made["report"]["state"] == "queued", made
    return int(made["id"])


def get(service: Service, path: str, key: str = "auditor"):  # type: ignore[no-untyped-def]
    return service.client.get(path, headers=auth(service.keys[key]))
