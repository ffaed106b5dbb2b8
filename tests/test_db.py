"""Reads take no lock; writes wait for the database so long, then answer 503; no model run
holds a connection or a transaction (issue 11, item 1)."""

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlmodel import select

from governance.audit.log import ADVISORY_LOCK_KEY
from governance.auth.models import ApiKey
from governance.db import (
    WriteOutsideTransaction,
    begin_write,
    end_reads,
    is_busy,
    request_session,
    sqlite_file,
)
from tests.support import fake_models
from tests.support.call_helpers import _model, generate
from tests.support.helpers import auth, encode, np_image, register
from tests.support.service_fixture import Service, make_service


@contextmanager
def writer_lock(service: Service) -> Iterator[None]:
    """Another process' writer holding what every write of the service needs: SQLite's
    write lock, or on PostgreSQL the audit log's append lock."""
    url = service.settings.resolved_database_url
    database = sqlite_file(url)
    if database is not None:
        other = sqlite3.connect(database, timeout=0, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            other.execute("ROLLBACK")
            other.close()
        return
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as other:
        other.execute("SELECT pg_advisory_lock(%s)", (ADVISORY_LOCK_KEY,))
        yield


@pytest.fixture
def busy_service(database_url: str, tmp_path: Path) -> Iterator[Service]:
    svc = make_service(database_url, tmp_path / "data", database_busy_timeout_seconds=0.3)
    yield svc
    svc.app.state.services.engine.dispose()


def test_reads_answer_while_another_writer_holds_the_lock(busy_service: Service) -> None:
    service = busy_service
    client, keys = service.client, service.keys
    assert register(client, keys["alice"], encode(np_image(1))).status_code == 201
    with writer_lock(service):
        for response in (
            client.get("/v1/works", headers=auth(keys["alice"])),
            client.get("/v1/works/1", headers=auth(keys["alice"])),
            client.get("/v1/audit/entries", headers=auth(keys["auditor"])),
            client.get("/v1/audit/checkpoint", headers=auth(keys["auditor"])),
            client.post(
                "/v1/verify",
                headers=auth(keys["regulator"]),
                files={"file": ("a.png", encode(np_image(1)))},
            ),
            client.post(
                "/v1/works/match",
                headers=auth(keys["regulator"]),
                files={"file": ("a.png", encode(np_image(1)))},
            ),
        ):
            assert response.status_code == 200, (response.request.url, response.text)


def test_a_write_that_cannot_get_the_database_is_503_and_keeps_nothing(
    busy_service: Service,
) -> None:
    service = busy_service
    client, keys = service.client, service.keys
    model = _model(service, name="painter", kind="generation", adapter=GENERATOR)
    work = register(client, keys["alice"], encode(np_image(1))).json()["id"]
    before = service.stored()
    with writer_lock(service):
        answers = [
            register(client, keys["alice"], encode(np_image(2))),
            client.put(
                f"/v1/works/{work}/terms",
                headers=auth(keys["alice"]),
                json={"terms": {"ai_generative_training": "allowed"}},
            ),
            generate(service, model),
        ]
        for response in answers:
            assert response.status_code == 503, (response.request.url, response.text)
            assert response.json()["error"] == "DatabaseBusy"
            assert response.headers["Retry-After"] == "1"
            assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert service.stored() == before
    # Once the lock is free, the same requests pass.
    assert register(client, keys["alice"], encode(np_image(2))).status_code == 201
    assert generate(service, model).status_code == 201


GENERATOR = "python:tests.support.fake_models:probing_generate"


def test_no_connection_or_lock_is_held_while_the_model_runs(service: Service) -> None:
    engine = service.app.state.services.engine
    model = _model(service, name="prober", kind="generation", adapter=GENERATOR)
    seen: list[int] = []
    database = sqlite_file(service.settings.resolved_database_url)

    def probe() -> None:
        seen.append(engine.pool.checkedout())
        if database is not None:  # a writer elsewhere gets the lock at once
            other = sqlite3.connect(database, timeout=0, isolation_level=None)
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            other.close()

    fake_models.DURING_RUN.append(probe)
    try:
        response = generate(service, model)
    finally:
        fake_models.DURING_RUN.remove(probe)
    assert response.status_code == 201, response.text
    assert seen == [0]


def test_a_request_session_reads_without_a_transaction_and_writes_after_begin_write(
    service: Service,
) -> None:
    engine = service.app.state.services.engine
    with request_session(engine) as session:
        assert session.exec(select(ApiKey)).first() is not None
        end_reads(session)
        assert engine.pool.checkedout() == 0
        with pytest.raises(WriteOutsideTransaction):
            session.execute(text("DELETE FROM api_keys"))
    with pytest.raises(WriteOutsideTransaction), request_session(engine) as session:
        session.exec(select(ApiKey)).all()
        key = session.exec(select(ApiKey)).first()
        assert key is not None
        key.name = "renamed"  # flushed at the commit: refused, nothing kept
    with request_session(engine) as session:
        begin_write(session)
        begin_write(session)  # twice is once
        key = session.exec(select(ApiKey)).first()
        assert key is not None
        key.name = "renamed"
    with request_session(engine) as session:
        assert session.exec(select(ApiKey).where(ApiKey.name == "renamed")).first() is not None


def test_busy_is_told_apart_from_broken() -> None:
    import sqlite3 as driver

    assert is_busy(PoolTimeout("no connection"))
    assert is_busy(OperationalError("BEGIN", {}, driver.OperationalError("database is locked")))
    assert not is_busy(OperationalError("x", {}, driver.OperationalError("disk I/O error")))
    assert not is_busy(ValueError("database is locked"))
