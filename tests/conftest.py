"""Databases for the tests: SQLite always, PostgreSQL when GOVERN_TEST_POSTGRES_URL is set.

Schemas are built with `alembic upgrade head` (governance.db.migrate), never create_all:
once per process and kind, every test database being a copy (tests/support/databases.py).
A PostgreSQL run gets databases of its own, dropped at the end.
"""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url

from tests.support.databases import (
    empty_postgres,
    install_no_sync,
    migrated_sqlite,
    own_postgres,
)

POSTGRES_ENV = "GOVERN_TEST_POSTGRES_URL"
BACKENDS = ["sqlite", "postgresql"]

install_no_sync()


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str | None]:
    """The name of a migrated PostgreSQL database no one connects to, which each database
    the tests make copies; None without PostgreSQL."""
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        yield None
        return
    with own_postgres(base) as url:
        yield make_url(url).database


@pytest.fixture(scope="session")
def postgres_url(postgres_template: str | None) -> Iterator[str | None]:
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        yield None
        return
    with own_postgres(base, postgres_template) as url:
        yield url


@pytest.fixture(scope="session")
def _postgres_resets(postgres_url: str | None) -> Iterator[Engine | None]:
    """One connection for emptying the PostgreSQL database between tests."""
    if postgres_url is None:
        yield None
        return
    engine = create_engine(postgres_url, pool_size=1, pool_pre_ping=True)
    yield engine
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    postgres_url: str | None,
    _postgres_resets: Engine | None,
) -> str:
    """A migrated, empty database of each kind."""
    if request.param == "sqlite":
        return migrated_sqlite(tmp_path / "test.db")
    if postgres_url is None or _postgres_resets is None:
        pytest.skip(f"{POSTGRES_ENV} is not set")
    empty_postgres(_postgres_resets)
    return postgres_url


@pytest.fixture(scope="module", params=BACKENDS)
def module_database_url(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    postgres_template: str | None,
) -> Iterator[str]:
    """A migrated, empty database of each kind for one module alone: for a state its tests
    build once and share, each test leaving it as it found it (reading it, being refused,
    or editing it in a transaction that is rolled back: tests/support/shared_state.py)."""
    if request.param == "sqlite":
        yield migrated_sqlite(tmp_path_factory.mktemp("module") / "test.db")
        return
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(f"{POSTGRES_ENV} is not set")
    with own_postgres(base, postgres_template) as url:
        yield url


from tests.support.service_fixture import module_service, service  # noqa: E402,F401  (fixtures)
