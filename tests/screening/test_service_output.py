"""Which output of the service a file is, only as far as the key may be served it."""

from typing import Any

from tests.support.call_helpers import _conservator, _mask, _model, restore
from tests.support.helpers import auth, encode, photo
from tests.support.service_fixture import Service


def _screen(service: Service, data: bytes, key: str) -> Any:
    response = service.client.post(
        "/v1/screen",
        headers=auth(service.keys[key]),
        files={"file": ("f.png", data, "application/octet-stream")},
    )
    assert response.status_code == 200, response.text
    return response.json()["service_output"]


def test_an_output_awaiting_review_is_none_to_keys_not_served_it(service: Service) -> None:
    _conservator(service)
    image = encode(photo("chelsea").convert("RGB").resize((128, 96)))
    call = restore(service, image, _mask(128, 96), _model(service)).json()
    assert call["status"] == "pending_review"
    output = service.client.get(call["output_url"], headers=auth(service.keys["conservator"]))
    assert output.status_code == 200
    for key in ("operator", "regulator", "alice"):
        assert _screen(service, output.content, key) is None, key
    for key in ("conservator", "auditor", "admin"):
        seen = _screen(service, output.content, key)
        assert seen["call_id"] == call["id"] and seen["found_by"] == "manifest", key
