"""`govern reports verify` reproduces a report or names the differences; the built-in
restorer's reports cite one randomisation check per weights."""

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from governance.cli.main import app
from governance.reports.consumer import run_pending
from governance.reports.models import ExplainCheck
from governance.settings import get_settings
from tests.reports.helpers import ready_entries, report_row, restoration, restorer
from tests.support.service_fixture import Service, make_service

runner = CliRunner()


@pytest.fixture
def cli_env(service: Service, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("GOVERN_DATA_DIR", str(service.settings.data_dir))
    monkeypatch.setenv("GOVERN_DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_verify_reproduces_a_report_and_catches_a_change(service: Service, cli_env: None) -> None:
    call_id = restoration(service, restorer(service))["id"]
    assert run_pending(service.app.state.services, timeout=300).ready == [call_id]
    ok = runner.invoke(app, ["reports", "verify", str(call_id)])
    assert ok.exit_code == 0, ok.output
    assert "ok" in ok.output

    # The stored JSON with one number changed: its blob path is the SHA-256 it had.
    row = report_row(service, call_id)
    path: Path = service.app.state.services.blobs.path(row.report_sha256)
    stored = json.loads(path.read_bytes())
    stored["what_changed"]["changed_inside_mask"] = (
        stored["what_changed"]["changed_inside_mask"] + 7
    )
    path.chmod(0o600)
    path.write_bytes(json.dumps(stored).encode())
    changed = runner.invoke(app, ["reports", "verify", str(call_id)])
    assert changed.exit_code == 1, changed.output
    assert "changed_inside_mask" in changed.output

    missing = runner.invoke(app, ["reports", "verify", "9999"])
    assert missing.exit_code == 2
    assert "ReportNotFound" in missing.output


def test_builtin_reports_cite_one_randomisation_check(tmp_path: Path) -> None:
    # On SQLite alone: the check costs minutes on two cores, and what it stores is the
    # same rows the other tests write on both databases.
    url = f"sqlite:///{tmp_path / 'builtin.db'}"
    service = make_service(url, tmp_path / "data")
    model = restorer(service, "builtin:restoration")
    first = restoration(service, model, seed=1)["id"]
    second = restoration(service, model, seed=2)["id"]
    done = run_pending(service.app.state.services, timeout=900)
    assert sorted(done.ready) == sorted([first, second]), done
    with Session(service.app.state.services.engine) as session:
        [check] = session.exec(select(ExplainCheck)).all()
    for call_id in (first, second):
        [entry] = ready_entries(service, call_id)
        data = json.loads(entry.entry)["data"]
        assert data["randomisation_sha256"] == check.result_sha256
        assert data["weights_sha256"] == check.weights_sha256
    service.app.state.services.engine.dispose()
