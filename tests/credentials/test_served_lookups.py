"""Every look-up of a service output answers a key only what that key may be served of the
output itself (calls.status.may_read_output): /v1/verify, byContent, byBinding and
/v1/manifests, for each role, against a released generation, a pending restoration, a
rejected one and a blocked call."""

import json
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from governance.auth.models import Role
from governance.calls.models import ModelCall
from governance.calls.status import CallStatus, may_read_output
from governance.db import unit_of_work
from labeling.watermark import WATERMARK_ALG
from tests.support.call_helpers import _conservator, _mask, _model, restore
from tests.support.helpers import auth, encode, np_image, photo, png_bytes, register
from tests.support.label_helpers import generated, generator, reencoded
from tests.support.service_fixture import Service

# A key of each role, by its name in Service.keys.
ROLES = {
    Role.RIGHTS_HOLDER: "alice",
    Role.OPERATOR: "operator",
    Role.AUDITOR: "auditor",
    Role.REGULATOR: "regulator",
    Role.CONSERVATOR: "conservator",
    Role.ADMIN: "admin",
}


@dataclass(frozen=True)
class Output:
    call_id: int
    manifest_id: str
    watermark_id: str
    fingerprint: str
    data: bytes  # the labelled file as the service made it
    status: CallStatus


def _output(service: Service, call: dict[str, Any], status: CallStatus) -> Output:
    label = next(s for s in call["stages"] if s["name"] == "label")["evidence"]
    bindings = {b["alg"]: b["value"] for b in label["soft_bindings"]}
    fetched = service.client.get(call["output_url"], headers=auth(service.keys["conservator"]))
    assert fetched.status_code == 200, fetched.text
    return Output(
        call_id=call["id"],
        manifest_id=label["manifest_id"],
        watermark_id=bindings[WATERMARK_ALG],
        fingerprint=next(v for a, v in bindings.items() if a != WATERMARK_ALG),
        data=fetched.content,
        status=status,
    )


def _pending(service: Service, model: int, seed: int) -> Output:
    call = restore(service, encode(np_image(seed, 128)), _mask(128, 128), model).json()
    assert call["status"] == "pending_review", call
    return _output(service, call, CallStatus.PENDING_REVIEW)


def _set_status(service: Service, call_id: int, status: CallStatus) -> None:
    """What a review will do (a later issue): move a pending call on."""
    with unit_of_work(service.app.state.services.engine) as session:
        call = session.get(ModelCall, call_id)
        assert call is not None
        call.status = status
        session.add(call)


def _verify(service: Service, key: str, data: bytes) -> dict[str, Any]:
    response = service.client.post(
        "/v1/verify", headers=auth(key), files={"file": ("f.png", data, "image/png")}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _by_content(service: Service, key: str, data: bytes) -> list[str]:
    response = service.client.post(
        "/v1/matches/byContent", headers=auth(key), files={"file": ("f.png", data)}
    )
    assert response.status_code == 200, response.text
    return [m["manifestId"] for m in response.json()["matches"]]


def _by_binding(service: Service, key: str, alg: str, value: str) -> list[str]:
    response = service.client.get(
        "/v1/matches/byBinding", params={"alg": alg, "value": value}, headers=auth(key)
    )
    assert response.status_code == 200, response.text
    return [m["manifestId"] for m in response.json()["matches"]]


def _check(service: Service, role: Role, output: Output) -> None:
    key = service.keys[ROLES[role]]
    served = may_read_output(role, output.status)
    where = (role, output.status)
    stripped = reencoded(output.data, "JPEG", quality=90)
    report = _verify(service, key, output.data)
    copy = _verify(service, key, stripped)
    # What the file says of itself is reported to anyone.
    assert report["c2pa"]["state"] == "Trusted", where
    assert report["c2pa"]["manifest_id"] == output.manifest_id, where
    assert report["watermark"]["found"] and report["watermark"]["watermark_id"], where
    assert report["implicit_labels"]["tc260_aigc"]["ProduceID"] == output.manifest_id, where
    assert report["ai_disclosure"]["ai_made"] is True, where
    assert copy["watermark"]["found"] is True, where
    records = (report["record"], copy["record"])
    if served:
        assert [r["call_id"] for r in records] == [output.call_id] * 2, where
        assert [r["found_by"] for r in records] == ["manifest", "watermark"], where
        # Checked against the store the service kept (Invalid: the pixels were re-encoded).
        assert copy["record"]["recovered_manifest"]["state"] == "Invalid", where
        assert copy["ai_disclosure"]["from"] == "manifest kept by the service", where
        assert report["implicit_labels"]["origin"]["verdict"] == "this_file", where
    else:
        assert records == (None, None), where
        assert copy["ai_disclosure"]["ai_made"] is False, where
        assert report["visible_label"] is None and copy["visible_label"] is None, where
        # Withheld reads as never issued: nothing tells the two apart.
        assert report["implicit_labels"]["origin"]["verdict"] == "not_issued", where
        for body in (report, copy):
            text = json.dumps(body)
            assert f"/v1/calls/{output.call_id}" not in text, where
            assert f"/v1/manifests/{output.manifest_id}" not in text, where
            assert all(m["call_id"] != output.call_id for m in body["fingerprint"]["matches"])
    expected = [output.manifest_id] if served else []
    assert _by_content(service, key, output.data) == expected, where
    assert _by_content(service, key, stripped) == expected, where
    assert _by_binding(service, key, WATERMARK_ALG, output.watermark_id) == expected, where
    fingerprint_alg = "org.provenance-governance.fingerprint.phash.1"
    assert _by_binding(service, key, fingerprint_alg, output.fingerprint) == expected, where
    manifest = service.client.get(f"/v1/manifests/{output.manifest_id}", headers=auth(key))
    assert manifest.status_code == (200 if served else 403), where


def test_every_lookup_serves_each_role_what_the_output_itself_is_served(
    service: Service,
) -> None:
    _conservator(service)
    released_call = generated(service, generator(service), size=128)
    released = _output(service, released_call, CallStatus.RELEASED)
    restorer = _model(service)
    pending = _pending(service, restorer, 11)
    rejected = _pending(service, restorer, 12)
    _set_status(service, rejected.call_id, CallStatus.REJECTED)
    rejected = Output(**{**rejected.__dict__, "status": CallStatus.REJECTED})
    for role in ROLES:
        for output in (released, pending, rejected):
            _check(service, role, output)


def test_a_blocked_call_leaves_nothing_to_look_up(service: Service) -> None:
    _conservator(service)
    register(
        service.client, service.keys["bob"], png_bytes("coins"), terms={"restoration": "notAllowed"}
    )
    image = png_bytes("coins")
    call = restore(service, image, _mask(*photo("coins").size), _model(service)).json()
    assert call["status"] == "blocked" and call["output_url"] is None
    with Session(service.app.state.services.engine) as session:
        stored = session.get(ModelCall, call["id"])
        assert stored is not None and stored.output_sha256 is None
    for role, name in ROLES.items():
        key = service.keys[name]
        report = _verify(service, key, image)
        assert report["record"] is None and report["fingerprint"]["matches"] == [], role
        assert f"/v1/calls/{call['id']}" not in json.dumps(report), role
        assert _by_content(service, key, image) == [], role


def test_withheld_lookalikes_take_no_place_before_the_limit(service: Service) -> None:
    import io

    from PIL import Image

    from governance.credentials import resolve

    _conservator(service)
    model = generator(service)
    # The same request twice: the same pixels under two watermarks, two look-alikes. The
    # first, then withheld, is nearest to its own file and first on ties (lowest id).
    first_call, second_call = (generated(service, model, size=128) for _ in range(2))
    withheld = _output(service, first_call, CallStatus.RELEASED)
    released = _output(service, second_call, CallStatus.RELEASED)
    assert withheld.watermark_id != released.watermark_id
    _set_status(service, withheld.call_id, CallStatus.PENDING_REVIEW)
    services = service.app.state.services
    image = Image.open(io.BytesIO(withheld.data))
    with Session(services.engine) as session:

        def first(role: Role | None) -> list[int]:
            found = resolve.by_fingerprint(session, services, image, 1, role=role)
            return [f.label.call_id for f in found]

        assert first(None) == [withheld.call_id]
        assert first(Role.CONSERVATOR) == [withheld.call_id]
        assert first(Role.REGULATOR) == [released.call_id]
    # Through /v1/verify the regulator is told of the released look-alike only.
    report = _verify(service, service.keys["regulator"], withheld.data)
    assert report["record"]["call_id"] == released.call_id
    assert report["record"]["found_by"] == "fingerprint"
    assert report["record"]["agrees_with_audit_log"] is None
