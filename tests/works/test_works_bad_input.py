"""Every bad input gets a clear 4xx and leaves nothing stored, on each database."""

import json

import pytest
from sqlmodel import select

from governance.auth.models import ApiKey
from governance.auth.service import revoke_key
from governance.db import unit_of_work
from tests.support.helpers import auth, encode, photo, png_bytes, png_header_only, register
from tests.support.service_fixture import Service


def _refused(service: Service, response, status: int, code: str, logged: int = 0) -> dict:
    """A clear 4xx and nothing stored; `logged` audit entries were made by the test itself."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "detail"}
    assert body["error"] == code
    assert body["detail"]
    assert service.stored() == (0, 0, 0, 0, logged)
    return body


def _corrupt_png() -> bytes:
    data = bytearray(png_bytes("camera"))
    start = data.index(b"IDAT") + 200
    data[start : start + 64] = bytes(64)  # zeroed compressed data: zlib and CRC both fail
    return bytes(data)


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        (b"this is a text file, not an image", 415, "NotAnImage"),
        (b"", 415, "NotAnImage"),
        (png_bytes("camera")[:4000], 422, "CorruptImage"),
        (_corrupt_png(), 422, "CorruptImage"),
        (encode(photo("coins"), "GIF"), 415, "UnsupportedImageFormat"),
        (encode(photo("coins"), "BMP"), 415, "UnsupportedImageFormat"),
        (png_header_only(60_000, 60_000), 413, "ImageTooLarge"),
    ],
    ids=["text", "empty", "truncated", "corrupt", "gif", "bmp", "decompression-bomb"],
)
def test_bad_files_are_refused(
    module_service: Service, payload: bytes, status: int, code: str
) -> None:
    service = module_service  # shared: `_refused` checks it still holds nothing
    _refused(service, register(service.client, service.keys["alice"], payload), status, code)


def test_file_over_the_limit_is_refused_before_reading(service: Service) -> None:
    # 4 MB against a 2 MB limit: refused from Content-Length, body never parsed.
    big = b"\x89PNG" + bytes(4 * 1024 * 1024)
    response = register(service.client, service.keys["alice"], big)
    body = _refused(service, response, 413, "FileTooLarge")
    assert f"limit of {service.settings.max_upload_bytes} bytes" in body["detail"]


def test_file_just_over_the_limit_is_refused(service: Service) -> None:
    # Within the multipart allowance, so it is the file's own size check that refuses it.
    over = b"\x89PNG" + bytes(service.settings.max_upload_bytes)
    _refused(service, register(service.client, service.keys["alice"], over), 413, "FileTooLarge")


def test_missing_wrong_and_revoked_keys(service: Service) -> None:
    data = png_bytes("camera")
    response = service.client.post(
        "/v1/works",
        files={"file": ("a.png", data, "image/png")},
        data={"metadata": json.dumps({"title": "t"})},
    )
    _refused(service, response, 401, "MissingApiKey")
    _refused(service, register(service.client, "gov_not-a-key", data), 401, "InvalidApiKey")
    response = service.client.get("/v1/works", headers={"Authorization": "Basic abc"})
    _refused(service, response, 401, "InvalidApiKey")
    with unit_of_work(service.app.state.services.engine) as session:
        bob = session.exec(select(ApiKey).where(ApiKey.name == "bob")).one()
        revoke_key(session, service.app.state.services.audit, bob.id)
    body = _refused(
        service,
        register(service.client, service.keys["bob"], data),
        401,
        "InvalidApiKey",
        logged=1,  # the revocation itself
    )
    assert "revoked" in body["detail"]


@pytest.mark.parametrize("role", ["auditor", "regulator", "operator", "admin"])
def test_only_rights_holders_register(module_service: Service, role: str) -> None:
    service = module_service  # shared: `_refused` checks it still holds nothing
    response = register(service.client, service.keys[role], png_bytes("camera"))
    _refused(service, response, 403, "Forbidden")


@pytest.mark.parametrize(
    ("meta", "code"),
    [
        ({"license": "Not-A-Licence-1.0"}, "InvalidLicense"),
        ({"license": "MIT AND"}, "InvalidLicense"),
        ({"terms": {"ai_training": "maybe"}}, "InvalidTerms"),
        ({"terms": {"face_swapping": "allowed"}}, "InvalidTerms"),
        ({"terms": {"ai_training": {"use": "allowed", "constraint_info": "x"}}}, "InvalidTerms"),
        ({"terms": ["allowed"]}, "InvalidMetadata"),
        ({"title": ""}, "InvalidMetadata"),
        ({"colour": "blue"}, "InvalidMetadata"),
    ],
    ids=[
        "unknown-licence",
        "licence-syntax",
        "term-value",
        "term-use",
        "constraint-on-allowed",
        "terms-not-object",
        "empty-title",
        "unknown-field",
    ],
)
def test_bad_metadata_is_refused(module_service: Service, meta: dict, code: str) -> None:
    service = module_service  # shared: `_refused` checks it still holds nothing
    response = register(service.client, service.keys["alice"], png_bytes("camera"), **meta)
    _refused(service, response, 422, code)


def test_metadata_that_is_not_json_or_missing(service: Service) -> None:
    files = {"file": ("a.png", png_bytes("camera"), "image/png")}
    response = service.client.post(
        "/v1/works",
        headers=auth(service.keys["alice"]),
        files=files,
        data={"metadata": "{title: oops"},
    )
    _refused(service, response, 422, "InvalidMetadata")
    response = service.client.post("/v1/works", headers=auth(service.keys["alice"]), files=files)
    _refused(service, response, 422, "InvalidMetadata")
    response = service.client.post(
        "/v1/works", headers=auth(service.keys["alice"]), data={"metadata": "{}"}
    )
    _refused(service, response, 422, "InvalidRequest")


def test_duplicate_pixels_are_refused_naming_the_work(service: Service) -> None:
    first = register(service.client, service.keys["alice"], png_bytes("astronaut"))
    assert first.status_code == 201
    work_id = first.json()["id"]
    before = service.stored()
    # The same pixels in another lossless container are the same work.
    for data, kind in [
        (png_bytes("astronaut"), "image/png"),
        (encode(photo("astronaut"), "TIFF"), "image/tiff"),
        (encode(photo("astronaut"), "WEBP", lossless=True), "image/webp"),
    ]:
        response = register(service.client, service.keys["bob"], data, content_type=kind)
        assert response.status_code == 409, response.text
        assert response.json()["error"] == "DuplicateWork"
        assert f"work {work_id}" in response.json()["detail"]
        assert service.stored() == before


def test_another_holders_work(service: Service) -> None:
    work_id = register(service.client, service.keys["alice"], png_bytes("coffee")).json()["id"]
    bob = auth(service.keys["bob"])
    for response in [
        service.client.put(
            f"/v1/works/{work_id}/terms", headers=bob, json={"terms": {"ai_training": "allowed"}}
        ),
        service.client.get(f"/v1/works/{work_id}", headers=bob),
        service.client.get(f"/v1/works/{work_id}/terms/history", headers=bob),
    ]:
        assert response.status_code == 403, response.text
        assert response.json()["error"] == "NotWorkOwner"
    history = service.client.get(
        f"/v1/works/{work_id}/terms/history", headers=auth(service.keys["alice"])
    ).json()
    assert len(history["versions"]) == 1


def test_bad_terms_change_keeps_the_old_terms(service: Service) -> None:
    work_id = register(service.client, service.keys["alice"], png_bytes("coffee")).json()["id"]
    alice = auth(service.keys["alice"])
    for body, code in [
        ({"terms": {"ai_training": "sometimes"}}, "InvalidTerms"),
        ({"terms": "allowed"}, "InvalidRequest"),
        ({"nonsense": 1}, "InvalidRequest"),
    ]:
        response = service.client.put(f"/v1/works/{work_id}/terms", headers=alice, json=body)
        assert response.status_code == 422, response.text
        assert response.json()["error"] == code
    history = service.client.get(f"/v1/works/{work_id}/terms/history", headers=alice).json()
    assert [v["version"] for v in history["versions"]] == [1]


def test_unknown_work_and_routes(service: Service) -> None:
    headers = auth(service.keys["auditor"])
    assert service.client.get("/v1/works/999", headers=headers).json()["error"] == "WorkNotFound"
    # Ids are digits: anything else names no resource (and the document says so).
    response = service.client.get("/v1/works/abc", headers=headers)
    assert response.status_code == 404 and response.json()["error"] == "NotFound"
    response = service.client.get("/v1/nothing-here", headers=headers)
    assert response.status_code == 404 and response.json()["error"] == "NotFound"
    response = service.client.delete("/v1/works/1", headers=headers)
    assert response.status_code == 405 and response.json()["error"] == "MethodNotAllowed"
    # Allow names every method of the path, not only those of the first route matched.
    assert response.headers["Allow"] == "GET"
    response = service.client.delete("/v1/works", headers=headers)
    assert response.status_code == 405 and response.headers["Allow"] == "GET, POST"
    response = service.client.get("/v1/works/match", headers=headers)
    assert response.status_code == 405 and response.headers["Allow"] == "POST"
