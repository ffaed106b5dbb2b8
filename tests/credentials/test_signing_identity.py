"""Who signs the labels: a development CA on first run, or the deployment's own chain."""

import stat
from pathlib import Path

import pytest
from sqlmodel import Session, select

from governance.credentials.models import OutputLabel
from governance.errors import InvalidInput
from governance.settings import Settings
from labeling.c2pa_read import inspect
from labeling.identity import generate_identity
from tests.support import fake_signer
from tests.support.helpers import auth
from tests.support.label_helpers import generated, generator, output_of
from tests.support.service_fixture import make_service


def test_the_development_identity_is_made_once_and_kept_private(
    database_url: str, tmp_path: Path
) -> None:
    first = make_service(database_url, tmp_path / "data")
    root = first.client.get("/v1/labels/ca.pem")
    assert root.status_code == 200
    assert root.headers["content-type"] == "application/x-pem-file"
    assert root.text.startswith("-----BEGIN CERTIFICATE-----")
    key = tmp_path / "data" / "signing" / "key.pem"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    first.app.state.services.engine.dispose()
    again = make_service(database_url, tmp_path / "data")
    assert again.client.get("/v1/labels/ca.pem").text == root.text
    again.app.state.services.engine.dispose()


def _files(tmp_path: Path) -> tuple[Path, Path, bytes]:
    identity = generate_identity("Museum of Tests")
    chain, key = tmp_path / "chain.pem", tmp_path / "key.pem"
    chain.write_bytes(identity.chain_pem)
    key.write_bytes(identity.key_pem)
    return chain, key, identity.root_pem


def test_a_configured_chain_signs_and_its_root_is_published(
    database_url: str, tmp_path: Path
) -> None:
    chain, key, root = _files(tmp_path)
    service = make_service(
        database_url, tmp_path / "data", signing_cert_chain=chain, signing_key=key
    )
    try:
        assert service.client.get("/v1/labels/ca.pem").content == root
        data = output_of(service, generated(service, generator(service)))
        report = inspect(data, "image/png", root.decode())
        assert report is not None and report.state == "Trusted"
        assert not (tmp_path / "data" / "signing").exists()
    finally:
        service.app.state.services.engine.dispose()


def test_a_signing_callback_signs(database_url: str, tmp_path: Path) -> None:
    identity = generate_identity("HSM museum")
    chain = tmp_path / "chain.pem"
    chain.write_bytes(identity.chain_pem)
    fake_signer.KEY_PEM = identity.key_pem
    fake_signer.CALLS.clear()
    service = make_service(
        database_url,
        tmp_path / "data",
        signing_cert_chain=chain,
        signing_callback="tests.support.fake_signer:sign",
    )
    assert len(fake_signer.CALLS) == 1  # the self-test signature at start
    fake_signer.CALLS.clear()
    try:
        data = output_of(service, generated(service, generator(service)))
        report = inspect(data, "image/png", identity.root_pem.decode())
        assert report is not None and report.state == "Trusted"
        assert len(fake_signer.CALLS) == 1
    finally:
        service.app.state.services.engine.dispose()


def test_an_unreachable_timestamp_authority_fails_the_call_clearly(
    database_url: str, tmp_path: Path
) -> None:
    service = make_service(
        database_url, tmp_path / "data", signing_tsa_url="http://127.0.0.1:9/tsa"
    )
    try:
        body = {"model": generator(service), "prompt": "a vase", "width": 128, "height": 128}
        call = service.client.post(
            "/v1/generations", headers=auth(service.keys["operator"]), json=body
        ).json()
        assert call["status"] == "failed"
        assert [r["code"] for r in call["reasons"]] == ["timestamp_unavailable"]
        assert "127.0.0.1:9" in call["reasons"][0]["detail"]
        assert call["output_url"] is None
        with Session(service.app.state.services.engine) as session:
            assert session.exec(select(OutputLabel)).all() == []
    finally:
        service.app.state.services.engine.dispose()


@pytest.mark.parametrize(
    "broken",
    [
        {"signing_key": "key"},
        {"signing_cert_chain": "chain"},
        {"signing_cert_chain": "garbage", "signing_key": "key"},
        {"signing_cert_chain": "chain", "signing_key": "garbage"},
        {"signing_cert_chain": "leaf", "signing_key": "key"},
        {"signing_cert_chain": "chain", "signing_callback": "tests.support.fake_signer:missing"},
        {"signing_cert_chain": "chain", "signing_callback": "nomodule"},
        # Each loads, but cannot make a signature that verifies against the root:
        {"signing_cert_chain": "chain", "signing_key": "other_key"},
        {"signing_cert_chain": "reversed", "signing_key": "key"},
        {"signing_cert_chain": "chain", "signing_key": "key", "signing_root": "garbage"},
        {"signing_cert_chain": "chain", "signing_key": "key", "signing_root": "other_root"},
    ],
)
def test_broken_signing_settings_are_refused_at_start(
    tmp_path: Path, broken: dict[str, str]
) -> None:
    from governance.services import build_services

    chain, key, _ = _files(tmp_path)
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a pem")
    leaf = tmp_path / "leaf.pem"
    leaf.write_bytes(
        chain.read_bytes().split(b"-----END CERTIFICATE-----")[0] + b"-----END CERTIFICATE-----\n"
    )
    other = generate_identity("Elsewhere")
    other_key, other_root = tmp_path / "other-key.pem", tmp_path / "other-root.pem"
    other_key.write_bytes(other.key_pem)
    other_root.write_bytes(other.root_pem)
    reversed_chain = tmp_path / "reversed.pem"
    leaf_pem, ca_pem = chain.read_bytes().split(b"-----END CERTIFICATE-----\n")[:2]
    reversed_chain.write_bytes(
        ca_pem + b"-----END CERTIFICATE-----\n" + leaf_pem + b"-----END CERTIFICATE-----\n"
    )
    paths = {
        "key": key,
        "chain": chain,
        "garbage": garbage,
        "leaf": leaf,
        "other_key": other_key,
        "other_root": other_root,
        "reversed": reversed_chain,
    }
    settings = {
        name: paths.get(value, value) if name != "signing_callback" else value
        for name, value in broken.items()
    }
    with pytest.raises(InvalidInput):
        build_services(Settings(data_dir=tmp_path / "data", **settings))  # type: ignore[arg-type]
