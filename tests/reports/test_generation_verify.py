"""`govern reports verify` of a generation report: rebuilt against the registry of its
time however the registry grew since, a changed number named, a dispute said apart."""

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlmodel import Session
from typer.testing import CliRunner

from governance.cli.main import app
from governance.reports.consumer import run_pending
from governance.reports.generation import build_generation, read_generation
from governance.reports.generation_schema import GenerationComparison
from governance.reports.verify import verify_report
from governance.settings import get_settings
from rights.models import Work
from tests.reports.generation_helpers import (
    ALLOWED,
    ASTRONAUT_SEED,
    COFFEE_SEED,
    generation,
    generator,
    work,
)
from tests.reports.helpers import report_row
from tests.support.service_fixture import Service

runner = CliRunner()


@pytest.fixture
def cli_env(service: Service, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("GOVERN_DATA_DIR", str(service.settings.data_dir))
    monkeypatch.setenv("GOVERN_DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _verify(call_id: int) -> tuple[int, str]:
    result = runner.invoke(app, ["reports", "verify", str(call_id)])
    return result.exit_code, result.output


def test_verify_keeps_to_the_works_registered_when_the_report_was_made(
    service: Service, cli_env: None
) -> None:
    services = service.app.state.services
    model = generator(service, "rocket")
    call_id = generation(service, model, COFFEE_SEED, "a cup of coffee")
    assert run_pending(services, timeout=120).ready == [call_id]
    assert _verify(call_id) == (0, f"ok: the report of call {call_id} was reproduced\n")
    stored = json.loads(services.blobs.get(report_row(service, call_id).report_sha256))
    assert stored["works"]["listed"] == []

    # The output's own picture is registered afterwards: a report made now lists it
    # first, and the stored one is still reproduced against the registry of its time.
    later = work(service, "bob", "coffee", "coffee by bob", ALLOWED)
    assert later > stored["basis"]["max_work_id"]
    now = build_generation(services, read_generation(services, call_id)).report.report
    assert now.works.listed[0].work_id == later and now.works.listed[0].band == "match"
    assert _verify(call_id)[0] == 0


def test_verify_names_a_changed_number_and_says_a_dispute_apart(
    service: Service, cli_env: None
) -> None:
    services = service.app.state.services
    copied = work(service, "alice", "astronaut", "Astronaut", ALLOWED)
    call_id = generation(service, generator(service, "rocket"), ASTRONAUT_SEED)
    assert run_pending(services, timeout=120).ready == [call_id]

    # A dispute raised since changes the work's status: said, not a difference.
    with Session(services.engine) as session:
        session.execute(update(Work).where(Work.id == copied).values(status="disputed"))  # type: ignore[arg-type]
        session.commit()
    comparison = verify_report(services, call_id)
    assert isinstance(comparison, GenerationComparison)
    assert comparison.ok and comparison.differences == []
    assert comparison.changed_since == [
        "works.listed[0].binds: True then, False now",
        "works.listed[0].status: 'registered' then, 'disputed' now",
    ]

    # The stored JSON with one count changed: its blob path is the SHA-256 it had.
    path: Path = services.blobs.path(report_row(service, call_id).report_sha256)
    stored = json.loads(path.read_bytes())
    stored["works"]["listed"][0]["matching_points"] += 3
    path.chmod(0o600)
    path.write_bytes(json.dumps(stored).encode())
    code, output = _verify(call_id)
    assert code == 1, output
    assert "works.listed[0].matching_points" in output
