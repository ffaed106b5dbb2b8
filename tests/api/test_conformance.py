"""The OpenAPI document describes the API: schemathesis, every check, against every role
and without a key, finds no answer the document does not declare (issue 11, item 16).

The operations whose schema-valid requests the service may still refuse, and why, are
listed in schemathesis.toml beside this file.

Each role runs against a service of its own (its own database, data and keys, served on its
own port), so that the runs go on side by side, one per core, without touching each
other's state: schemathesis's own work is most of the time, and it is in other processes."""

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from governance.auth.service import create_key
from governance.db import unit_of_work
from tests.support.databases import migrated_sqlite
from tests.support.live_server import live_server
from tests.support.service_fixture import Service, make_service

CONFIG = Path(__file__).with_name("schemathesis.toml")
ROLES = ["alice", "auditor", "regulator", "operator", "admin", "conservator", None]


def _service(folder: Path) -> Service:
    service = make_service(migrated_sqlite(folder / "govern.db"), folder / "data")
    services = service.app.state.services
    with unit_of_work(services.engine) as session:
        service.keys["conservator"] = create_key(session, services.audit, "conservator", "c")[1]
    return service


def _failure(service: Service, role: str | None, folder: Path) -> str | None:
    """What schemathesis found as `role` (None: without a key), or None when it passed."""
    with live_server(service.app) as base:
        command = [
            str(Path(sys.executable).parent / "st"),
            "--config-file",
            str(CONFIG),
            "--no-color",
            "run",
            f"{base}/openapi.json",
            "--checks",
            "all",
        ]
        if role is not None:
            command += ["--header", f"Authorization: Bearer {service.keys[role]}"]
        # Its own folder for schemathesis's cache, which runs side by side must not share.
        run = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=folder)
    service.app.state.services.engine.dispose()
    if run.returncode != 0:
        return f"--- as {role or 'no key'}:\n{run.stdout[-6000:]}"
    return None


def test_schemathesis_finds_no_failure_for_any_role(tmp_path: Path) -> None:
    folders = [tmp_path / (role or "no-key") for role in ROLES]
    # Made here, one after another: migrations are not run from two threads at once.
    services = [_service(folder) for folder in folders]
    with ThreadPoolExecutor(max_workers=min(len(ROLES), os.cpu_count() or 1)) as pool:
        found = list(pool.map(_failure, services, ROLES, folders))
    failures = [failure for failure in found if failure is not None]
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("path", ["/docs", "/docs/swagger-ui-bundle.js", "/docs/swagger-ui.css"])
def test_the_docs_page_is_served_offline(tmp_path: Path, path: str) -> None:
    service = make_service(f"sqlite:///{tmp_path / 'govern.db'}", tmp_path / "data")
    answer = service.client.get(path)
    assert answer.status_code == 200
    if path == "/docs":
        # Every asset the page loads is the service's own: nothing from a CDN.
        assert "cdn" not in answer.text.lower() and "https://" not in answer.text
        assert "/docs/swagger-ui-bundle.js" in answer.text
    else:
        assert len(answer.content) > 50_000
    missing = service.client.get("/docs/nothing.js")
    assert missing.status_code == 404 and missing.json()["error"] == "NotFound"
    service.app.state.services.engine.dispose()
