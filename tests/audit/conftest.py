"""Fixtures of the bundle tests (test_audit_bundle.py): the logged service, made once per
database for the tests that only export and verify (nothing they do writes to the log), or
alone for a test that adds to it; the CLI pointed at its data either way."""

from collections.abc import Iterator

import pytest

from governance.settings import get_settings
from tests.audit.bundle_support import log_events, point_the_cli_at
from tests.support.service_fixture import Service, make_service


@pytest.fixture(scope="module")
def bundle_logs(
    module_database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Service, tuple[int, int, int, int, int]]]:
    """The logged service, made once per database for the tests that only export and
    verify (nothing they do writes to the log), with what it stores."""
    service = make_service(module_database_url, tmp_path_factory.mktemp("bundle") / "data")
    log_events(service)
    yield service, service.stored()
    service.app.state.services.engine.dispose()


@pytest.fixture
def logged(
    bundle_logs: tuple[Service, tuple[int, int, int, int, int]], monkeypatch: pytest.MonkeyPatch
) -> Iterator[Service]:
    """A service with a few events, and the CLI pointed at the same data."""
    service, stored = bundle_logs
    assert service.stored() == stored  # no test before this one changed it
    point_the_cli_at(service, monkeypatch)
    yield service
    get_settings.cache_clear()


@pytest.fixture
def logged_alone(service: Service, monkeypatch: pytest.MonkeyPatch) -> Iterator[Service]:
    """As `logged`, for a test that adds to the log: a service of its own."""
    log_events(service)
    point_the_cli_at(service, monkeypatch)
    yield service
    get_settings.cache_clear()
