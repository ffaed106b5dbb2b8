"""A flat output (a blank generation) and a flat file are never found by fingerprint:
too little is in their hashes to tell one flat picture from another (issue 11, item 9)."""

import io

from PIL import Image
from sqlalchemy import text

from tests.support.call_helpers import _model, generate
from tests.support.helpers import auth, encode
from tests.support.service_fixture import Service

GREY = "python:tests.support.fake_models:grey_generate"


def test_flat_pictures_match_no_flat_output(service: Service) -> None:
    model = _model(service, name="blank", kind="generation", adapter=GREY)
    call = generate(service, model, seed=128)
    assert call.status_code == 201, call.text
    # The watermark's texture keeps a grey output's hash off zero; a label stored flat
    # (as an unmarked blank output's would be) is made here, before the first look-up
    # loads the label index.
    with service.app.state.services.engine.begin() as connection:
        connection.execute(text("UPDATE output_labels SET phash = 0, dhash = 0"))
    key = auth(service.keys["regulator"])
    for value in (0, 127, 255):  # other flat pictures, unmarked
        flat = encode(Image.new("RGB", (96, 64), (value,) * 3))
        found = service.client.post(
            "/v1/matches/byContent", headers=key, files={"file": ("f.png", flat)}
        ).json()
        assert found["matches"] == [], (value, found)
        report = service.client.post(
            "/v1/verify", headers=key, files={"file": ("f.png", flat)}
        ).json()
        assert report["record"] is None, report["record"]


def test_a_textured_output_is_still_found_by_fingerprint(service: Service) -> None:
    # The control: the rule removes flat look-ups only.
    gradient = _model(
        service,
        name="ramp",
        kind="generation",
        adapter="python:tests.support.fake_models:gradient_generate",
    )
    call = generate(service, gradient, seed=5).json()
    output = service.client.get(
        f"/v1/calls/{call['id']}/output", headers=auth(service.keys["operator"])
    ).content
    stripped = Image.open(io.BytesIO(output)).convert("RGB")
    found = service.client.post(
        "/v1/matches/byContent",
        headers=auth(service.keys["regulator"]),
        files={"file": ("c.png", encode(stripped))},
    ).json()
    assert [m["found_by"] for m in found["matches"]][:1] in (["watermark"], ["fingerprint"])
