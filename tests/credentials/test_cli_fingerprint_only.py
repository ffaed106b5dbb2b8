"""A file the service's records name by fingerprint alone claims nothing to check against
the audit log: `govern verify` says so in words, the folder page counts it apart."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from governance.cli.main import app
from governance.settings import get_settings
from labeling.verify_report import counts, folder_html
from tests.support.call_helpers import _conservator, _mask, _model, restore
from tests.support.helpers import auth, png_bytes
from tests.support.service_fixture import make_service

runner = CliRunner()
NOT_APPLICABLE = "not applicable (fingerprint only)"


@pytest.fixture
def files(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A pending restoration's output and its input, which only looks like it."""
    service = make_service(database_url, tmp_path / "data")
    try:
        _conservator(service)
        image = png_bytes("astronaut")
        call = restore(service, image, _mask(512, 512), _model(service)).json()
        assert call["status"] == "pending_review", call
        output = service.client.get(call["output_url"], headers=auth(service.keys["conservator"]))
    finally:
        service.app.state.services.engine.dispose()
    folder = tmp_path / "files"
    folder.mkdir()
    (folder / "input.png").write_bytes(image)
    (folder / "output.png").write_bytes(output.content)
    monkeypatch.setenv("GOVERN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("GOVERN_DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield folder
    get_settings.cache_clear()


def test_one_file_found_by_fingerprint_is_not_said_to_disagree(files: Path) -> None:
    result = runner.invoke(app, ["verify", str(files / "input.png")])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())  # rich wraps long lines
    assert "found by fingerprint" in text
    assert f"agrees with the audit log: {NOT_APPLICABLE}" in text
    assert "agrees with the audit log: NO" not in text
    output = runner.invoke(app, ["verify", str(files / "output.png")])
    assert "agrees with the audit log: yes" in " ".join(output.output.split())


def test_the_folder_page_counts_fingerprint_only_files_apart(files: Path, tmp_path: Path) -> None:
    out = tmp_path / "report"
    result = runner.invoke(app, ["verify", str(files), "--out", str(out)])
    assert result.exit_code == 0, result.output
    report = json.loads((out / "report.json").read_text())
    assert report["counts"]["found in the service's records"] == 1
    assert report["counts"]["looks like a service output (fingerprint only)"] == 1
    page = (out / "index.html").read_text()
    assert f"<td>{NOT_APPLICABLE}</td>" in page
    assert "<th>looks like a service output (fingerprint only)</th><td>1</td>" in page


def test_counts_tell_records_from_lookalikes() -> None:
    base = {"c2pa": "none", "ai_made": False, "watermark": False, "eu_art50": False}
    rows = [
        {**base, "name": "a", "record": "call 1 by manifest", "found_by": "manifest"},
        {**base, "name": "b", "record": "call 1 by watermark", "found_by": "watermark"},
        {**base, "name": "c", "record": "call 2 by fingerprint", "found_by": "fingerprint"},
        {**base, "name": "d", "record": "", "found_by": None},
    ]
    rows = [{**r, "gb_45438": False} for r in rows]
    tally = counts(rows)
    assert tally["found in the service's records"] == 2
    assert tally["looks like a service output (fingerprint only)"] == 1
    assert tally["files"] == 4
    assert "fingerprint only" in folder_html(rows, "t")
