"""`govern screen`: a folder inside a deployment (read only) gets its page with the regions
drawn and a summary table; a running service answers with --url; no deployment, exit 2."""

import json
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from governance.cli.main import app
from governance.settings import get_settings
from tests.support.helpers import encode, np_image, photo, png_bytes, register
from tests.support.live_server import live_server
from tests.support.service_fixture import Service, make_service

# Wide enough that the summary table keeps each file's path on one line.
runner = CliRunner(env={"COLUMNS": "250"})
EDIT = (300, 120, 100, 100)


def _altered() -> bytes:
    pixels = np.asarray(photo("astronaut").convert("RGB")).copy()
    x, y, w, h = EDIT
    pixels[y : y + h, x : x + w] = np.asarray(photo("coffee").convert("RGB"))[:h, :w]
    return encode(Image.fromarray(pixels), "JPEG", quality=90)


def _folder(root: Path) -> Path:
    folder = root / "files"
    (folder / "nested").mkdir(parents=True)
    (folder / "altered.jpg").write_bytes(_altered())
    (folder / "nested" / "unrelated.png").write_bytes(encode(np_image(4, 128)))
    (folder / "notes.txt").write_text("not an image: skipped")
    return folder


@pytest.fixture
def deployment(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Path, int]]:
    """A deployment with one registered work, and a folder to screen."""
    service = make_service(database_url, tmp_path / "data")
    try:
        response = register(
            service.client, service.keys["alice"], png_bytes("astronaut"), title="First <Light>"
        )
        assert response.status_code == 201, response.text
    finally:
        service.app.state.services.engine.dispose()
    monkeypatch.setenv("GOVERN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("GOVERN_DATABASE_URL", database_url)
    monkeypatch.delenv("GOVERN_API_KEY", raising=False)
    get_settings.cache_clear()
    yield _folder(tmp_path), int(response.json()["id"])
    get_settings.cache_clear()


def test_a_folder_gets_its_page_with_the_regions_drawn(
    deployment: tuple[Path, int], tmp_path: Path
) -> None:
    folder, work_id = deployment
    out = tmp_path / "report"
    result = runner.invoke(app, ["screen", str(folder), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "altered.jpg" in result.output and f"work {work_id}" in result.output
    page = (out / "screen.html").read_text()
    assert page.count('<section class="file">') == 2
    # The altered copy's region, drawn over its thumbnail in the file's own pixels.
    rects = re.findall(r'<rect class="altered" x="([\d.]+)" y="([\d.]+)"', page)
    assert rects, page
    x, y, w, h = EDIT
    assert any(x - 20 <= float(rx) <= x + w and y - 20 <= float(ry) <= y + h for rx, ry in rects)
    assert "First &lt;Light&gt;" in page  # seen as an admin, and escaped
    assert "Content-Security-Policy" in page and "<script" not in page
    document = json.loads((out / "screen.json").read_text())
    (files,) = [f["files"] for f in document["folders"]]
    altered = next(f for f in files if f["name"].endswith("altered.jpg"))
    assert altered["near_copies"][0]["work_id"] == work_id
    assert altered["near_copies"][0]["altered"] is True


def test_one_file_as_json_and_a_bad_file_exits_1(
    deployment: tuple[Path, int], tmp_path: Path
) -> None:
    folder, work_id = deployment
    as_json = runner.invoke(app, ["screen", "--json", str(folder / "altered.jpg")])
    assert as_json.exit_code == 0, as_json.output
    assert json.loads(as_json.stdout)["near_copies"][0]["work_id"] == work_id
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not a png")
    result = runner.invoke(app, ["screen", str(broken)])
    assert result.exit_code == 1 and "NotAnImage" in result.output


def test_nothing_is_screened_outside_a_deployment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOVERN_DATA_DIR", str(tmp_path / "no-data"))
    monkeypatch.delenv("GOVERN_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    try:
        image = tmp_path / "a.png"
        image.write_bytes(encode(np_image(1, 96)))
        result = runner.invoke(app, ["screen", str(image)])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 2 and "--url" in result.output
    assert not (tmp_path / "no-data").exists()  # and no deployment was made


def test_a_running_service_answers_with_url_as_its_key_may_see(
    service: Service, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    response = register(
        service.client, service.keys["alice"], png_bytes("astronaut"), title="First Light"
    )
    assert response.status_code == 201, response.text
    folder = _folder(tmp_path)
    monkeypatch.setenv("GOVERN_DATA_DIR", str(tmp_path / "no-data"))
    monkeypatch.delenv("GOVERN_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    out = tmp_path / "report"
    try:
        with live_server(service.app) as url:
            key = service.keys["regulator"]
            args = ["screen", str(folder), "--url", url, "--key", key, "--out", str(out)]
            result = runner.invoke(app, args)
            refused = runner.invoke(app, ["screen", str(folder), "--url", url, "--key", "gov_x"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    page = (out / "screen.html").read_text()
    assert "First Light" not in page and "not shown" in page  # a regulator reads no works
    assert '<rect class="altered"' in page
    assert refused.exit_code == 2 and "refused the key" in refused.output
