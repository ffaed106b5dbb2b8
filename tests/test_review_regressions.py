"""Inputs found by review that once gave a 500, a false duplicate or an aborted import."""

import json
import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from governance.cli.main import app
from governance.db import unit_of_work
from governance.settings import get_settings
from governance.works.service import change_terms
from rights.embedded_terms import terms_from_assertions
from rights.terms import TermValue, Use
from tests.support.helpers import auth, encode, match, photo, png_bytes, register
from tests.support.service_fixture import Service


def _sixteen_bit(name: str, fmt: str) -> bytes:
    values = np.asarray(photo(name).convert("L")).astype(np.uint16) * 257
    return encode(Image.fromarray(values), fmt)


def _lab_tiff() -> bytes:
    lab = Image.merge("LAB", [photo("coins").convert("L")] * 3)
    return encode(lab, "TIFF")


def test_sixteen_bit_scans_are_fingerprinted_by_value(service: Service) -> None:
    alice = service.keys["alice"]
    coins = register(service.client, alice, _sixteen_bit("coins", "PNG"))
    text = register(service.client, alice, _sixteen_bit("text", "PNG"))
    assert coins.status_code == 201 and text.status_code == 201, text.text  # not duplicates
    same = register(service.client, alice, _sixteen_bit("coins", "TIFF"), content_type="image/tiff")
    assert same.status_code == 409 and f"work {coins.json()['id']}" in same.json()["detail"]
    eight_bit = match(service.client, alice, png_bytes("coins")).json()["matches"]
    assert [m["work_id"] for m in eight_bit] == [coins.json()["id"]]


def test_inputs_that_once_gave_500(service: Service) -> None:
    alice, auditor = auth(service.keys["alice"]), auth(service.keys["auditor"])
    lab = register(service.client, service.keys["alice"], _lab_tiff(), content_type="image/tiff")
    assert lab.status_code == 415 and lab.json()["error"] == "UnsupportedImageFormat"
    assert match(service.client, service.keys["alice"], _lab_tiff()).status_code == 415
    work_id = register(service.client, service.keys["alice"], png_bytes("coffee")).json()["id"]
    for url, params in [
        (f"/v1/works/{2**63}", {}),
        (f"/v1/works/{2**31}", {}),
        ("/v1/works", {"offset": 2**63}),
        (f"/v1/works/{work_id}", {"at": "9999-12-31T23:59:59-01:00"}),
        (f"/v1/works/{work_id}", {"at": "0001-01-01T00:00:00+01:00"}),
        ("/v1/audit/entries", {"subject": "work:\x00"}),
        ("/v1/audit/proofs/inclusion", {"index": 2**63}),
        ("/v1/audit/entries", {"start": 2**63}),
    ]:
        response = service.client.get(
            url, headers=auditor if "audit" in url else alice, params=params
        )
        assert response.status_code == 422, (url, params, response.text)
    for meta, code in [
        ({"title": "t\x00x"}, "InvalidMetadata"),
        ({"creator": "   "}, "InvalidMetadata"),
        ({"license": " OR ".join(["GPL-2.0+"] * 40)}, "InvalidLicense"),
        (
            {"terms": {"ai_training": {"use": "constrained", "constraint_info": "a\x00b"}}},
            "InvalidTerms",
        ),
    ]:
        response = register(service.client, service.keys["alice"], png_bytes("rocket"), **meta)
        assert response.status_code == 422 and response.json()["error"] == code, response.text
    two = service.client.post(
        "/v1/works",
        headers=alice,
        files=[
            ("file", ("a.png", png_bytes("rocket"), "image/png")),
            ("file", ("b.png", png_bytes("moon"), "image/png")),
        ],
        data={"metadata": json.dumps({"title": "t", "creator": "c", "license": "MIT"})},
    )
    assert two.status_code == 422
    assert "file: List should have at most 1 item" in two.json()["detail"]
    assert service.stored()[0] == 1


def test_unreadable_training_mining_assertions_reserve() -> None:
    for data in (["x"], "x", 3, {"entries": ["x"]}):
        signals = terms_from_assertions([{"label": "cawg.training-mining", "data": data}], "Valid")
        assert signals[Use.AI_TRAINING].value is TermValue.CONSTRAINED, data
    signals = terms_from_assertions(
        [
            {
                "label": "cawg.training-mining",
                "data": {"entries": {"cawg.ai_inference": "notAllowed"}},
            }
        ],
        "Valid",
    )
    assert signals[Use.AI_INFERENCE].value is TermValue.CONSTRAINED
    assert signals[Use.RESTORATION].value is TermValue.CONSTRAINED


def test_concurrent_term_changes_all_land(service: Service) -> None:
    services = service.app.state.services
    work_id = register(service.client, service.keys["alice"], png_bytes("coffee")).json()["id"]
    from governance.auth.service import authenticate

    failures: list[BaseException] = []

    def change(value: str) -> None:
        try:
            with unit_of_work(services.engine) as session:
                alice = authenticate(session, f"Bearer {service.keys['alice']}")
                terms = {"ai_training": {"use": "constrained", "constraint_info": value}}
                change_terms(session, services, alice, work_id, terms)
        except BaseException as exc:
            failures.append(exc)

    # Each a real change: one equal to the terms in force would create no version.
    threads = [threading.Thread(target=change, args=(f"v{i}",)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    history = service.client.get(
        f"/v1/works/{work_id}/terms/history", headers=auth(service.keys["alice"])
    ).json()
    assert [v["version"] for v in history["versions"]] == list(range(1, 10))


def test_import_skips_what_it_cannot_read_and_goes_on(
    service: Service, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOVERN_DATA_DIR", str(service.settings.data_dir))
    monkeypatch.setenv("GOVERN_DATABASE_URL", service.settings.database_url)
    get_settings.cache_clear()
    folder = tmp_path / "batch"
    folder.mkdir()
    (folder / "lab.tif").write_bytes(_lab_tiff())
    (folder / "list.png").write_bytes(png_bytes("moon"))
    (folder / "null.png").write_bytes(png_bytes("brick"))
    (folder / "broken.png").write_bytes(png_bytes("camera"))
    (folder / "good.png").write_bytes(png_bytes("rocket"))
    rows = "file,title,creator,license,terms\n" + "\n".join(
        [
            "lab.tif,Lab,c,MIT,",
            'list.png,List,c,MIT,"[1]"',
            "null.png,Null,c,MIT,null",
            'broken.png,Broken,c,MIT,"{not json"',
            "good.png,Good,c,MIT,",
        ]
    )
    (folder / "works.csv").write_text(rows + "\n")
    result = CliRunner().invoke(app, ["works", "import", str(folder), "--holder", "alice"])
    said = " ".join(result.output.split())
    assert result.exit_code == 1, result.output
    assert "1 registered" in said and "4 skipped" in said, said
    assert "UnsupportedImageFormat" in said and "not valid JSON" in said
    get_settings.cache_clear()
