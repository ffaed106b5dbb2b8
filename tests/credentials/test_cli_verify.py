"""`govern verify`, run as a regulator would: one file in words, a folder as reports."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from governance.cli.main import app
from governance.settings import get_settings
from tests.support.helpers import encode, np_image
from tests.support.label_helpers import generated, generator, output_of, reencoded
from tests.support.service_fixture import make_service

runner = CliRunner()


@pytest.fixture
def outputs(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with a labelled output, a stripped copy, a plain photograph, a bad file."""
    service = make_service(database_url, tmp_path / "data")
    try:
        data = output_of(service, generated(service, generator(service)))
    finally:
        service.app.state.services.engine.dispose()
    folder = tmp_path / "files"
    (folder / "nested").mkdir(parents=True)
    (folder / "output.png").write_bytes(data)
    (folder / "nested" / "stripped.jpg").write_bytes(reencoded(data, "JPEG", quality=85))
    (folder / "photo.png").write_bytes(encode(np_image(2, 128)))
    (folder / "broken.png").write_bytes(b"not a png at all")
    (folder / "notes.txt").write_text("not an image: skipped in folders")
    monkeypatch.setenv("GOVERN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("GOVERN_DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield folder
    get_settings.cache_clear()


def test_one_file_is_explained_in_words(outputs: Path) -> None:
    result = runner.invoke(app, ["verify", str(outputs / "output.png")])
    assert result.exit_code == 0, result.output
    assert "C2PA: Trusted" in result.output
    assert "says AI: yes" in result.output
    assert "EU AI Act Art. 50(2): conformant" in result.output
    as_json = runner.invoke(app, ["verify", "--json", str(outputs / "nested" / "stripped.jpg")])
    assert as_json.exit_code == 0, as_json.output
    report = json.loads(as_json.stdout)
    assert report["record"]["found_by"] == "watermark"


def test_a_folder_gets_a_json_report_and_an_html_page(outputs: Path, tmp_path: Path) -> None:
    out = tmp_path / "report"
    result = runner.invoke(app, ["verify", str(outputs), "--out", str(out)])
    # The broken file could not be read: exit 1, and it is named.
    assert result.exit_code == 1, result.output
    assert "broken.png" in result.output and "NotAnImage" in result.output
    report = json.loads((out / "report.json").read_text())
    names = [Path(f["file"]["name"]).name for f in report["files"]]
    assert names == ["broken.png", "stripped.jpg", "output.png", "photo.png"]
    assert report["counts"]["files"] == 4
    assert report["counts"]["unreadable"] == 1
    assert report["counts"]["c2pa Trusted"] == 1
    assert report["counts"]["found in the service's records"] == 2
    assert report["counts"]["EU Art. 50 conformant"] == 1
    page = (out / "index.html").read_text()
    assert page.count("<tr><td>") == 4 and "stripped.jpg" in page


def test_a_missing_file_is_an_error(outputs: Path) -> None:
    result = runner.invoke(app, ["verify", str(outputs / "nothing.png")])
    assert result.exit_code == 1
    assert "cannot be read" in result.output


def test_a_folder_without_images_is_an_error(outputs: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result = runner.invoke(app, ["verify", str(empty)])
    assert result.exit_code == 1 and "no image files found" in result.output
