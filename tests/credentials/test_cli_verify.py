"""`govern verify` inside a deployment: one file in words, a folder as reports, and the
deployment's database and data dir read without a thing created or changed."""

import json
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from governance.cli.aborted import Aborted
from governance.cli.main import app
from governance.cli.read_only import open_read_only
from governance.db import sqlite_file
from governance.settings import Settings, get_settings
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
    assert report["checked_with"]["records"] == "deployment"
    page = (out / "index.html").read_text()
    assert page.count("<tr><td>") == 4 and "stripped.jpg" in page
    # Each file read has its own page, linked from its row; the broken one has none.
    pages = sorted(p.name for p in (out / "files").iterdir())
    assert pages == ["0002.html", "0003.html", "0004.html"]
    assert '<a href="files/0003.html">' in page and 'href="files/0001.html"' not in page
    output_page = (out / "files" / "0003.html").read_text()
    assert "output.png" in output_page and "agrees with the audit log" in output_page


def test_a_missing_file_is_an_error(outputs: Path) -> None:
    result = runner.invoke(app, ["verify", str(outputs / "nothing.png")])
    assert result.exit_code == 1
    assert "cannot be read" in result.output


def test_a_folder_without_images_is_an_error(outputs: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result = runner.invoke(app, ["verify", str(empty)])
    assert result.exit_code == 1 and "no image files found" in result.output


def _snapshot(*roots: Path) -> dict[str, tuple[int, int, int]]:
    """Each root, what is under it and what lies beside it under its name (a database's
    side files), with size, modification time and mode; a folder's time changes when a
    file is made in it, even one removed again."""
    found: dict[str, tuple[int, int, int]] = {}
    for root in roots:
        for path in [root.parent, *root.parent.glob(root.name + "*"), *root.rglob("*")]:
            stat = path.stat()
            found[str(path)] = (stat.st_size, stat.st_mtime_ns, stat.st_mode)
    return found


def test_verifying_inside_a_deployment_creates_and_changes_nothing(
    outputs: Path,
    tmp_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    database = sqlite_file(database_url)
    roots = [tmp_path / "data"] + ([database] if database else [])
    before = _snapshot(*roots)
    here = tmp_path_factory.mktemp("cwd")
    monkeypatch.chdir(here)
    one = runner.invoke(app, ["verify", str(outputs / "nested" / "stripped.jpg")])
    assert one.exit_code == 0, one.output
    assert "found by watermark" in " ".join(one.output.split())
    as_json = runner.invoke(app, ["verify", "--json", str(outputs / "output.png")])
    assert json.loads(as_json.stdout)["c2pa"]["state"] == "Trusted"
    out = tmp_path_factory.mktemp("report")
    folder = runner.invoke(app, ["verify", str(outputs), "--out", str(out)])
    assert folder.exit_code == 1, folder.output  # broken.png
    assert _snapshot(*roots) == before
    assert list(here.iterdir()) == []


def test_a_data_dir_that_is_not_there_stays_away(
    outputs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With GOVERN_DATABASE_URL set, a data dir that is missing is not made (with a new
    development CA, which would call the deployment's own outputs untrusted)."""
    missing = tmp_path / "no-data-dir"
    monkeypatch.setenv("GOVERN_DATA_DIR", str(missing))
    get_settings.cache_clear()
    photo = runner.invoke(app, ["verify", str(outputs / "photo.png")])
    assert photo.exit_code == 0, photo.output
    assert "signing root was not found" in " ".join(photo.output.split())
    # Its manifest is kept in the data dir's blobs: that file cannot be checked here.
    output = runner.invoke(app, ["verify", str(outputs / "output.png")])
    assert output.exit_code == 1, output.output
    assert "output.png" in output.output and "cannot be read" in output.output
    assert not missing.exists()


def test_the_deployment_is_opened_so_that_it_cannot_be_written(outputs: Path) -> None:
    services = open_read_only(get_settings())
    try:
        with services.engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM output_labels")).scalar() == 1
            with pytest.raises(DBAPIError):
                connection.execute(text("DELETE FROM output_labels"))
        # Nothing that signs: the opened deployment's signer refuses.
        callback = services.signing.signer.callback
        assert callback is not None
        with pytest.raises(RuntimeError):
            callback(b"x")
    finally:
        services.engine.dispose()
    assert runner.invoke(app, ["verify", str(outputs / "output.png")]).exit_code == 0


def test_a_database_of_another_schema_is_named_not_migrated(
    outputs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = tmp_path / "old.db"
    with sqlite3.connect(old) as connection:
        connection.execute("CREATE TABLE alembic_version (version_num VARCHAR(32))")
        connection.execute("INSERT INTO alembic_version VALUES ('0001')")
    connection.close()
    before = old.read_bytes()
    monkeypatch.setenv("GOVERN_DATABASE_URL", f"sqlite:///{old}")
    get_settings.cache_clear()
    result = runner.invoke(app, ["verify", str(outputs / "output.png")])
    assert result.exit_code == 2, result.output
    assert "is at schema 0001" in result.output and "not migrated" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert old.read_bytes() == before
    assert sorted(p.name for p in tmp_path.glob("old.db*")) == ["old.db"]


def test_a_database_that_is_not_there_is_not_made(
    outputs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "nowhere" / "govern.db"
    monkeypatch.setenv("GOVERN_DATABASE_URL", f"sqlite:///{missing}")
    get_settings.cache_clear()
    result = runner.invoke(app, ["verify", str(outputs / "output.png")])
    assert result.exit_code == 2, result.output
    assert "cannot be read" in result.output
    assert not missing.parent.exists()
    with pytest.raises(Aborted):
        open_read_only(Settings(data_dir=tmp_path / "d", database_url=f"sqlite:///{missing}"))
    assert not (tmp_path / "d").exists()


def test_a_live_deployments_newest_commits_are_read_through_its_wal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While the service runs, SQLite keeps commits in the WAL beside the database: they
    are read (read only, through the side files that are there), and nothing is added."""
    data_dir = tmp_path / "live"
    service = make_service("", data_dir)
    try:
        data = output_of(service, generated(service, generator(service)))
        names = sorted(p.name for p in data_dir.iterdir())
        assert "govern.db-wal" in names  # the service is running
        (tmp_path / "output.png").write_bytes(data)
        monkeypatch.setenv("GOVERN_DATA_DIR", str(data_dir))
        monkeypatch.delenv("GOVERN_DATABASE_URL", raising=False)
        get_settings.cache_clear()
        result = runner.invoke(app, ["verify", "--json", str(tmp_path / "output.png")])
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["record"]["agrees_with_audit_log"] is True
        assert sorted(p.name for p in data_dir.iterdir()) == names
    finally:
        get_settings.cache_clear()
        service.app.state.services.engine.dispose()
