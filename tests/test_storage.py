"""The data dir and every file the service keeps in it are private to its user."""

import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from governance.db import sqlite_file
from governance.services import build_services
from governance.settings import Settings
from tests.support.helpers import png_bytes, register
from tests.support.service_fixture import make_service


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _modes(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): _mode(p) for p in [root, *root.rglob("*")]}


def _not_private(root: Path) -> dict[str, int]:
    """Folders other than 0700 and files other than 0600 under `root`. Blob shard folders
    are made by the blob store with the default mode; the 0700 folders above close them."""
    found = {}
    for name, mode in _modes(root).items():
        path = root / name
        if path.is_dir():
            if mode != 0o700 and path.parent != root / "blobs":
                found[name] = mode
        elif mode != 0o600:
            found[name] = mode
    return found


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The usual umask, under which plain writes are world-readable."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_a_new_deployment_is_private_after_start_and_after_writes(
    tmp_path: Path, open_umask: None
) -> None:
    data = tmp_path / "data"
    service = make_service("", data)
    try:
        assert _mode(data) == 0o700
        assert _mode(data / "govern.db") == 0o600
        assert _not_private(data) == {}
        register(service.client, service.keys["alice"], png_bytes("astronaut"))
        # A blob was written: the work's file, which for a 512 px RGB PNG is also its
        # reduced copy for near-copy checks (works/nearcopy_store.reads_back_as_is).
        assert service.stored()[3] == 1
        # The WAL and its shared-memory index exist while connections are open.
        assert (data / "govern.db-wal").exists() and (data / "govern.db-shm").exists()
        assert _not_private(data) == {}
    finally:
        service.app.state.services.engine.dispose()


def test_an_existing_deployment_is_closed_on_start(tmp_path: Path, open_umask: None) -> None:
    data = tmp_path / "data"
    make_service("", data).app.state.services.engine.dispose()
    # As a deployment made before the modes were set left it: readable by everyone.
    for path in [data, *data.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    # SQLite's side files, left by a process that stopped without closing its database.
    with sqlite3.connect(data / "govern.db") as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE IF NOT EXISTS scratch (x)")
        for suffix in ("-wal", "-shm"):
            Path(f"{data / 'govern.db'}{suffix}").chmod(0o644)
        before = _modes(data)
        assert before["govern.db-wal"] == 0o644 and before["signing/chain.pem"] == 0o644
        # What the operator keeps beside the service's files is theirs to set.
        (data / "notes.txt").write_text("backups on Fridays")
        services = build_services(Settings(data_dir=data, register_builtin_models=False))
    try:
        assert _not_private(data) == {"notes.txt": 0o644}
    finally:
        services.engine.dispose()


def test_a_database_outside_the_data_dir_is_private_too(tmp_path: Path, open_umask: None) -> None:
    elsewhere = tmp_path / "db" / "elsewhere.db"
    service = make_service(f"sqlite:///{elsewhere}", tmp_path / "data")
    try:
        register(service.client, service.keys["alice"], png_bytes("astronaut"))
        for path in elsewhere.parent.iterdir():
            assert _mode(path) == 0o600, path
        assert _not_private(tmp_path / "data") == {}
    finally:
        service.app.state.services.engine.dispose()


def test_the_data_dir_is_private_whatever_the_database(database_url: str, tmp_path: Path) -> None:
    service = make_service(database_url, tmp_path / "data")
    try:
        assert _not_private(tmp_path / "data") == {}
    finally:
        service.app.state.services.engine.dispose()


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("sqlite:////srv/govern/govern.db", Path("/srv/govern/govern.db")),
        ("sqlite:///relative.db", Path("relative.db")),
        ("sqlite:///file:/srv/g.db?mode=rwc&uri=true", Path("/srv/g.db")),
        ("sqlite://", None),
        ("sqlite:///:memory:", None),
        ("postgresql+psycopg://u@h/db", None),
    ],
)
def test_sqlite_file_names_the_database_file_only(url: str, path: Path | None) -> None:
    assert sqlite_file(url) == path
