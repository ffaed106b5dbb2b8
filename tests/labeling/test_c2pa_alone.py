"""An output checked by c2pa-python alone, as an outside verifier would: only the
service's published root as trust anchor, nothing of this project's code."""

import io
import json

import c2pa

from tests.support.label_helpers import generated, generator, output_of
from tests.support.service_fixture import Service

TRAINED = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"


def _read(data: bytes, anchors: str | None) -> tuple[str, dict]:
    settings: dict = {"verify": {"remote_manifest_fetch": False}}
    if anchors:
        settings["trust"] = {"trust_anchors": anchors}
    with (
        c2pa.Context.from_dict(settings) as context,
        c2pa.Reader("image/png", io.BytesIO(data), context=context) as reader,
    ):
        store = json.loads(reader.json())
        return reader.get_validation_state(), store["manifests"][store["active_manifest"]]


def test_an_output_is_trusted_and_says_ai_with_only_the_service_ca(service: Service) -> None:
    data = output_of(service, generated(service, generator(service)))
    root = service.client.get("/v1/labels/ca.pem").text
    state, manifest = _read(data, root)
    assert state == "Trusted"
    actions = next(
        a["data"]["actions"]
        for a in manifest["assertions"]
        if a["label"].startswith("c2pa.actions")
    )
    created = next(a for a in actions if a["action"] == "c2pa.created")
    assert created["digitalSourceType"] == TRAINED
    assert created["softwareAgent"]["name"] == "photo-generator"
    untrusted_state, _ = _read(data, None)
    assert untrusted_state == "Valid"
