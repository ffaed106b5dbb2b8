"""App-level behaviour: health, OpenAPI, settings, the after-commit hook."""

from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlmodel import Session

from governance.db import after_commit, make_engine
from governance.settings import Settings
from labeling.xmp import xmp_packet
from tests.support.helpers import np_image
from tests.support.service_fixture import Service


def test_health_and_openapi(service: Service) -> None:
    assert service.client.get("/healthz").json() == {"status": "ok"}
    spec = service.client.get("/openapi.json").json()
    assert {"/v1/works", "/v1/works/match", "/v1/works/{work_id}/terms"} <= set(spec["paths"])


def test_after_commit_runs_on_commit_only(database_url: str) -> None:
    engine = make_engine(database_url)
    ran: list[str] = []
    with Session(engine) as session:
        after_commit(session, lambda: ran.append("rolled back"))
        session.rollback()
        after_commit(session, lambda: ran.append("kept through a savepoint"))
        with session.begin_nested() as savepoint:
            savepoint.rollback()
        session.commit()
    engine.dispose()
    assert ran == ["kept through a savepoint"]


def test_missing_trust_anchor_file_is_a_settings_error(tmp_path: Path) -> None:
    with pytest.raises(ValidationError):
        Settings(data_dir=tmp_path, c2pa_trust_anchors=tmp_path / "missing.pem")


def test_xmp_scan_is_bounded_on_hostile_files() -> None:
    hostile = b"<x:xmpmeta " * 200_000
    assert xmp_packet(np_image(1), hostile) is None
    packet = b"junk<x:xmpmeta xmlns:x='adobe:ns:meta/'>hi</x:xmpmeta>junk"
    assert xmp_packet(np_image(1), packet) == "<x:xmpmeta xmlns:x='adobe:ns:meta/'>hi</x:xmpmeta>"


def test_audit_key_is_made_private_or_loaded_from_settings(tmp_path: Path) -> None:
    import stat

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import (
        Encoding,
        NoEncryption,
        PrivateFormat,
    )

    from governance.audit.keys import load_or_create_key
    from governance.errors import InvalidInput

    made = tmp_path / "data" / "audit-ed25519.pem"
    first = load_or_create_key(None, made)
    assert stat.S_IMODE(made.stat().st_mode) == 0o600
    again = load_or_create_key(None, made)
    assert again.public_key().public_bytes_raw() == first.public_key().public_bytes_raw()
    configured = tmp_path / "hsm-export.pem"
    own = Ed25519PrivateKey.generate()
    configured.write_bytes(own.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    loaded = load_or_create_key(configured, made)
    assert loaded.public_key().public_bytes_raw() == own.public_key().public_bytes_raw()
    with pytest.raises(InvalidInput):
        load_or_create_key(tmp_path / "missing.pem", made)
    from cryptography.hazmat.primitives.asymmetric import ec

    wrong = tmp_path / "ec.pem"
    wrong.write_bytes(
        ec.generate_private_key(ec.SECP256R1()).private_bytes(
            Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()
        )
    )
    with pytest.raises(InvalidInput):
        load_or_create_key(wrong, made)


def test_staged_files_land_on_commit_and_vanish_on_rollback(
    database_url: str, tmp_path: Path
) -> None:
    from governance.blobs import BlobStore

    engine = make_engine(database_url)
    blobs = BlobStore(tmp_path / "blobs")
    with Session(engine) as session:
        kept = blobs.stage(b"kept")
        after_commit(session, kept.promote, on_rollback=kept.discard)
        session.commit()
        dropped = blobs.stage(b"dropped")
        after_commit(session, dropped.promote, on_rollback=dropped.discard)
        session.rollback()
    engine.dispose()
    assert blobs.exists(kept.sha256) and blobs.get(kept.sha256) == b"kept"
    assert not blobs.exists(dropped.sha256)
    assert sorted(p.name for p in (tmp_path / "blobs").rglob("*") if p.is_file()) == [kept.sha256]


def test_every_response_says_nosniff(service: Service) -> None:
    from fastapi.testclient import TestClient

    from tests.support.helpers import auth

    def bug() -> None:
        raise RuntimeError("boom")

    service.app.add_api_route("/test-bug", bug)
    answers = [
        service.client.get("/healthz"),
        service.client.get("/openapi.json"),
        service.client.get("/v1/labels/ca.pem"),
        service.client.get("/v1/works"),  # 401, no key
        service.client.get("/v1/nowhere", headers=auth(service.keys["alice"])),  # 404
        service.client.get("/v1/calls/0", headers=auth(service.keys["auditor"])),  # 422
        # 413 from BodySizeLimit, which answers without reaching the app.
        service.client.post(
            "/v1/works",
            headers={**auth(service.keys["alice"]), "content-length": str(1 << 40)},
            content=b"x",
        ),
        TestClient(service.app, raise_server_exceptions=False).get("/test-bug"),  # 500
    ]
    assert [a.status_code for a in answers] == [200, 200, 200, 401, 404, 422, 413, 500]
    for answer in answers:
        assert answer.headers["x-content-type-options"] == "nosniff", answer.request.url


def test_released_outputs_may_be_kept_privately_unreleased_ones_by_no_cache(
    service: Service,
) -> None:
    from governance.api.headers import RELEASED_MAX_AGE_SECONDS
    from tests.support.call_helpers import _conservator, _mask, _model, restore
    from tests.support.helpers import auth, encode
    from tests.support.label_helpers import generated, generator

    released = generated(service, generator(service))
    _conservator(service)
    pending = restore(service, encode(np_image(5, 128)), _mask(128, 128), _model(service)).json()
    assert pending["status"] == "pending_review"
    key = auth(service.keys["auditor"])
    for call, expected in (
        (released, f"private, max-age={RELEASED_MAX_AGE_SECONDS}"),
        (pending, "private, no-store"),
    ):
        manifest_id = next(s for s in call["stages"] if s["name"] == "label")["evidence"][
            "manifest_id"
        ]
        for url in (call["output_url"], f"/v1/manifests/{manifest_id}"):
            answer = service.client.get(url, headers=key)
            assert answer.status_code == 200, answer.text
            assert answer.headers["cache-control"] == expected, url
            assert answer.headers["x-content-type-options"] == "nosniff"
    # A refusal of a pending output is not cacheable either, and says what it is.
    refused = service.client.get(pending["output_url"], headers=auth(service.keys["regulator"]))
    assert refused.status_code == 403
    assert "max-age" not in refused.headers.get("cache-control", "")
