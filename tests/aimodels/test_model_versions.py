"""Models named, not only numbered: versions under one name, a name wherever an id is
taken, and the newest cleared version when a call names no version."""

from typing import Any

import pytest

from tests.support.call_helpers import _mask, generate, restore
from tests.support.helpers import auth, encode, np_image
from tests.support.model_helpers import (
    GENERATOR,
    counts,
    manifest,
    register_model,
    unrelated_item,
)
from tests.support.service_fixture import Service

GREY = "python:tests.support.fake_models:grey_generate"
PHOTO = "python:tests.support.fake_models:photo_generate"


def version(
    service: Service, version: str, adapter: str = GENERATOR, blocked: bool = False, **kw: Any
) -> dict[str, Any]:
    """Version `version` of generator 'painter'. Each test gives its versions different
    functions, so they are not twins and keep their own clearance."""
    licence = "NONE" if blocked else "CC0-1.0"
    body = manifest(unrelated_item(int(version) if version.isdigit() else 9), license=licence)
    kw.setdefault("name", "painter")
    kw.setdefault("kind", "generation")
    response = register_model(
        service.client, service.keys["admin"], body, adapter=adapter, version=version, **kw
    )
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    assert result["clearance"]["verdict"] == ("blocked" if blocked else "cleared")
    return result


def get(service: Service, url: str, **params: str) -> Any:
    return service.client.get(url, headers=auth(service.keys["operator"]), params=params)


def test_a_name_holds_versions_but_never_one_version_twice(service: Service) -> None:
    one = version(service, "1")
    two = version(service, "2", adapter=GREY)
    assert one["name"] == two["name"] == "painter" and one["id"] != two["id"]
    before = counts(service.app.state.services.engine)
    again = register_model(
        service.client,
        service.keys["admin"],
        manifest(unrelated_item(5)),
        name="painter",
        kind="generation",
        adapter=PHOTO,
        version="2",
    )
    assert again.status_code == 409 and again.json()["error"] == "DuplicateModel"
    assert "version '2'" in again.json()["detail"]
    # A version must do what the name's other versions do: calls naming it rely on that.
    other_kind = register_model(
        service.client,
        service.keys["admin"],
        manifest(unrelated_item(6)),
        name="painter",
        version="9",
    )
    assert other_kind.status_code == 422 and "generation model" in other_kind.json()["detail"]
    assert counts(service.app.state.services.engine) == before


@pytest.mark.parametrize("name", ["7", " 42 "])
def test_a_name_of_digits_alone_is_refused(service: Service, name: str) -> None:
    response = register_model(
        service.client, service.keys["admin"], manifest(unrelated_item(1)), name=name
    )
    assert response.status_code == 422
    assert "digits alone" in response.json()["detail"]


def test_models_are_read_by_id_name_and_version(service: Service) -> None:
    one = version(service, "1")
    two = version(service, "2", adapter=GREY)
    other = version(service, "1", name="other painter", adapter=PHOTO)
    assert get(service, f"/v1/models/{one['id']}").json()["id"] == one["id"]
    assert get(service, "/v1/models/painter").json()["id"] == two["id"]
    assert get(service, "/v1/models/painter", version="1").json()["id"] == one["id"]
    assert get(service, "/v1/models/other%20painter").json()["id"] == other["id"]
    listed = get(service, "/v1/models", name="painter").json()
    assert listed["total"] == 2 and [m["id"] for m in listed["items"]] == [one["id"], two["id"]]
    assert get(service, "/v1/models", name="nobody").json() == {"items": [], "total": 0}
    assert get(service, "/v1/models").json()["total"] == 3
    # Ids work as before, out-of-range ones included.
    assert get(service, "/v1/models/0").status_code == 422
    assert get(service, "/v1/models/999").json()["error"] == "ModelNotFound"


def test_unknown_names_and_versions_are_404_with_a_sentence(service: Service) -> None:
    version(service, "1")
    version(service, "2", adapter=GREY)
    missing = get(service, "/v1/models/nobody")
    assert missing.status_code == 404
    assert missing.json() == {"error": "ModelNotFound", "detail": "no model is named 'nobody'"}
    no_version = get(service, "/v1/models/painter", version="3")
    assert no_version.status_code == 404
    assert no_version.json()["detail"] == "model 'painter' has no version '3'; it has '1', '2'"
    before = counts(service.app.state.services.engine)
    for model, extra in (("nobody", {}), ("painter", {"version": "3"}), ("7", {})):
        called = generate(service, model, **extra)  # type: ignore[arg-type]
        assert called.status_code == 404 and called.json()["error"] == "ModelNotFound"
    assert counts(service.app.state.services.engine) == before


def test_a_call_naming_a_model_gets_its_newest_cleared_version(service: Service) -> None:
    one = version(service, "1")
    two = version(service, "2", adapter=GREY)
    three = version(service, "3", adapter=PHOTO, blocked=True)
    # The newest version is blocked: the name gives the newest cleared one, version 2.
    named = generate(service, "painter")  # type: ignore[arg-type]
    assert named.status_code == 201, named.text
    call = named.json()
    assert call["status"] == "released" and call["model"]["id"] == two["id"]
    assert call["model"]["version"] == "2"
    # The record keeps what was asked; the call's model says which version ran.
    assert call["request"]["model"] == "painter" and "version" not in call["request"]
    pinned = generate(service, "painter", version="1").json()  # type: ignore[arg-type]
    assert pinned["model"]["id"] == one["id"] and pinned["request"]["version"] == "1"
    assert pinned["status"] == "released"
    # Naming the blocked version, or its id, is blocked with the clearance's reason.
    for asked in (generate(service, "painter", version="3"), generate(service, three["id"])):  # type: ignore[arg-type]
        blocked = asked.json()
        assert blocked["status"] == "blocked" and blocked["model"]["id"] == three["id"]
        assert blocked["reasons"][0]["code"] == "model_blocked"
    by_id = generate(service, two["id"]).json()
    assert by_id["request"]["model"] == two["id"] and "version" not in by_id["request"]


def test_a_name_with_no_cleared_version_gets_its_newest_and_is_blocked(service: Service) -> None:
    version(service, "1", blocked=True)
    newest = version(service, "2", adapter=GREY, blocked=True)
    call = generate(service, "painter").json()  # type: ignore[arg-type]
    assert call["status"] == "blocked" and call["model"]["id"] == newest["id"]
    assert call["reasons"][0]["code"] == "model_blocked"


def test_restorations_take_a_name_in_their_metadata(service: Service) -> None:
    response = register_model(
        service.client, service.keys["admin"], manifest(unrelated_item(1)), name="restorer"
    )
    assert response.status_code == 201
    image, mask = encode(np_image(3, 64)), _mask(64, 64)
    call = restore(service, image, mask, "restorer")  # type: ignore[arg-type]
    assert call.status_code == 201, call.text
    assert call.json()["model"]["id"] == response.json()["id"]
    assert call.json()["request"]["model"] == "restorer"
    wrong = restore(service, image, mask, "painter-that-is-not")  # type: ignore[arg-type]
    assert wrong.status_code == 404 and "no model is named" in wrong.json()["detail"]
    version(service, "1")
    kind = restore(service, image, mask, "painter")  # type: ignore[arg-type]
    assert kind.status_code == 422 and kind.json()["error"] == "WrongModelKind"
    assert "model 'painter' is a generation model" in kind.json()["detail"]


@pytest.mark.parametrize(
    "body",
    [
        {"model": "painter", "version": 1},  # versions are strings
        {"model": "painter", "version": ""},
        {"model": ""},
        {"model": True},
        {"model": 1.0},
        {"model": "a" * 201},
    ],
)
def test_badly_named_models_are_refused(service: Service, body: dict[str, Any]) -> None:
    version(service, "1")
    before = counts(service.app.state.services.engine)
    extra = dict(body)  # the parameters are shared by both databases' runs
    response = generate(service, extra.pop("model"), **extra)
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "InvalidRequest"
    assert counts(service.app.state.services.engine) == before


def test_a_version_beside_an_id_must_be_the_ids_own(service: Service) -> None:
    model = register_model(service.client, service.keys["admin"], manifest(unrelated_item(1)))
    model_id = model.json()["id"]

    def restore(version: str) -> Any:
        return service.client.post(
            "/v1/restorations",
            headers=auth(service.keys["operator"]),
            files={
                "file": ("in.png", encode(np_image(3, 64)), "image/png"),
                "mask": ("mask.png", _mask(64, 64), "image/png"),
            },
            data={"metadata": f'{{"model": {model_id}, "version": "{version}"}}'},
        )

    before = counts(service.app.state.services.engine)
    response = restore("2")
    assert response.status_code == 404 and response.json()["error"] == "ModelNotFound"
    assert "is version '1', not '2'" in response.json()["detail"]
    assert counts(service.app.state.services.engine) == before
    response = restore("1")
    assert response.status_code == 201, response.text
    assert response.json()["request"]["version"] == "1"
