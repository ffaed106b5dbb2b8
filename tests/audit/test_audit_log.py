"""The audit log through its API and CLI, on each database."""

import json
import threading

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, select
from typer.testing import CliRunner

from governance.audit.check import check_log
from governance.audit.log import size
from governance.audit.models import AuditEntry
from governance.audit.notes import open_checkpoint
from governance.cli.main import app
from governance.db import unit_of_work
from governance.settings import get_settings
from tests.support.audit_helpers import b64d, independent_inclusion, independent_root, tamper
from tests.support.helpers import auth, png_bytes, register
from tests.support.service_fixture import KEYS, Service


def _get(service: Service, url: str, who: str = "auditor", **params):
    return service.client.get(url, headers=auth(service.keys[who]), params=params)


def _entries(service: Service, **params) -> list[dict]:
    return _get(service, "/v1/audit/entries", **params).json()["entries"]


def test_events_are_logged_and_proven(service: Service) -> None:
    work = register(service.client, service.keys["alice"], png_bytes("coffee")).json()
    service.client.put(
        f"/v1/works/{work['id']}/terms",
        headers=auth(service.keys["alice"]),
        json={"terms": {"ai_training": "notAllowed"}},
    )
    refused = register(service.client, service.keys["alice"], b"not an image")
    assert refused.status_code == 415
    entries = _entries(service)
    kinds = [e["kind"] for e in entries]
    assert kinds == ["key.created"] * len(KEYS) + ["work.registered", "terms.changed"]
    assert [e["index"] for e in entries] == list(range(len(kinds)))
    about_work = _entries(service, subject=f"work:{work['id']}")
    # A subject query searches the whole log, not a window of it.
    later = _entries(service, subject=f"work:{work['id']}", start=len(KEYS) + 1)
    assert later == about_work[1:]
    assert [e["kind"] for e in about_work] == ["work.registered", "terms.changed"]
    registered = json.loads(about_work[0]["entry"])
    assert registered["data"]["work"]["pixel_sha256"] == work["pixel_sha256"]
    assert registered["actor"].startswith("key:") and registered["index"] == len(KEYS)

    key = service.client.get("/v1/audit/key").json()  # public: no key needed
    note = _get(service, "/v1/audit/checkpoint").text
    checkpoint = open_checkpoint(note, key["verifier_key"])
    assert checkpoint.size == len(kinds)
    leaves = [e["entry"].encode() for e in entries]
    assert independent_root(leaves) == checkpoint.root
    for entry in entries:
        proof = _get(service, "/v1/audit/proofs/inclusion", index=entry["index"]).json()
        path = [b64d(h) for h in proof["proof"]]
        implied = independent_inclusion(
            entry["entry"].encode(), entry["index"], checkpoint.size, path
        )
        assert implied == checkpoint.root == b64d(proof["root_hash"])
    consistency = _get(service, "/v1/audit/proofs/consistency", **{"from": 3}).json()
    assert consistency["to"] == checkpoint.size
    assert b64d(consistency["from_root"]) == independent_root(leaves[:3])


def test_bad_audit_requests(service: Service) -> None:
    n = len(KEYS)
    for url, params, status, code in [
        ("/v1/audit/proofs/inclusion", {"index": n}, 404, "EntryNotFound"),
        ("/v1/audit/proofs/inclusion", {"index": 0, "tree_size": n + 5}, 404, "TreeSizeNotFound"),
        ("/v1/audit/proofs/inclusion", {"index": -1}, 422, "InvalidRequest"),  # the schema says
        ("/v1/audit/proofs/inclusion", {"index": "x"}, 422, "InvalidRequest"),
        ("/v1/audit/proofs/consistency", {"from": 4, "to": 2}, 422, "InvalidInput"),
        ("/v1/audit/proofs/consistency", {"from": 1, "to": n + 1}, 404, "TreeSizeNotFound"),
        ("/v1/audit/entries", {"start": n + 1}, 404, "EntryNotFound"),
        ("/v1/audit/entries", {"start": 3, "end": 1}, 422, "InvalidInput"),
        ("/v1/audit/entries", {"start": 0, "end": 5000}, 200, None),
    ]:
        response = _get(service, url, **params)
        assert response.status_code == status, (url, params, response.text)
        if code:
            assert response.json()["error"] == code
    for who in ("alice", "operator"):
        assert _get(service, "/v1/audit/checkpoint", who).status_code == 403
    assert _get(service, "/v1/audit/entries", "regulator").status_code == 200


def test_an_event_and_its_entry_commit_together(service: Service) -> None:
    before = _get(service, "/v1/audit/checkpoint").text
    with pytest.raises(RuntimeError), unit_of_work(service.app.state.services.engine) as session:
        service.app.state.services.audit.append(session, "test", "x:1", "test", {})
        raise RuntimeError("the event failed after its entry was appended")
    assert _get(service, "/v1/audit/checkpoint").text == before
    with Session(service.app.state.services.engine) as session:
        assert size(session) == len(KEYS)


def test_log_rows_refuse_update_and_delete(service: Service) -> None:
    engine = service.app.state.services.engine
    for statement in (
        "UPDATE audit_entries SET actor = 'someone else'",
        "DELETE FROM audit_entries WHERE idx = 0",
        "DELETE FROM audit_nodes",
        "UPDATE audit_checkpoints SET note = ''",
    ):
        with Session(engine) as session, pytest.raises(DBAPIError, match="append-only"):
            session.exec(text(statement))  # type: ignore[call-overload]
            session.commit()


@pytest.mark.parametrize(
    "attack", ["alter", "delete-middle", "delete-last", "swap", "insert", "subject-column"]
)
def test_check_finds_rows_changed_behind_the_log(
    service: Service, attack: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = service.app.state.services
    monkeypatch.setenv("GOVERN_DATA_DIR", str(service.settings.data_dir))
    monkeypatch.setenv("GOVERN_DATABASE_URL", service.settings.database_url)
    get_settings.cache_clear()
    intact = CliRunner().invoke(app, ["audit", "check"])
    assert intact.exit_code == 0 and "intact" in intact.output, intact.output
    with Session(services.engine) as session:
        rows = [(r.idx, r.entry) for r in session.exec(select(AuditEntry).order_by(AuditEntry.idx))]
    engine = services.engine
    forged = rows[0][1].replace(b'"index":0', b'"index":%d' % len(rows))
    statements = {
        "alter": [_set_entry(engine, 0, rows[0][1].replace(b"alice", b"mallory"))],
        "delete-middle": ["DELETE FROM audit_entries WHERE idx = 2"],
        "delete-last": [f"DELETE FROM audit_entries WHERE idx = {len(rows) - 1}"],
        "swap": [_set_entry(engine, 1, rows[2][1]), _set_entry(engine, 2, rows[1][1])],
        "subject-column": ["UPDATE audit_entries SET subject = 'work:999' WHERE idx = 3"],
        "insert": [
            "INSERT INTO audit_entries (idx, kind, subject, actor, created_at, entry) "
            f"VALUES ({len(rows)}, 'forged', 'x', 'y', CURRENT_TIMESTAMP, "
            f"{_literal(engine, forged)})"
        ],
    }[attack]
    tamper(service, *statements)
    with Session(services.engine) as session:
        _, problems = check_log(session, services.audit)
    assert problems, attack
    found = CliRunner().invoke(app, ["audit", "check"])
    assert found.exit_code == 1 and "problem" in found.output, found.output
    get_settings.cache_clear()


def _set_entry(engine, idx: int, value: bytes) -> str:
    return f"UPDATE audit_entries SET entry = {_literal(engine, value)} WHERE idx = {idx}"


def _literal(engine, value: bytes) -> str:
    if engine.dialect.name == "postgresql":
        return f"'\\x{value.hex()}'::bytea"
    return f"X'{value.hex()}'"


def test_eight_writers_at_once_make_one_tree(service: Service) -> None:
    services = service.app.state.services
    errors: list[BaseException] = []

    def writer(number: int) -> None:
        try:
            for i in range(500):
                with unit_of_work(services.engine) as session:
                    services.audit.append(
                        session, "test.append", f"writer:{number}", "test", {"i": i}
                    )
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors[:3]
    with Session(services.engine) as session:
        total, problems = check_log(session, services.audit)
    assert total == 4000 + len(KEYS) and problems == []
    note = _get(service, "/v1/audit/checkpoint").text
    checkpoint = open_checkpoint(note, services.audit.verifier_key)
    assert checkpoint.size == total
    entries = []
    for start in range(0, total, 1000):
        entries += _entries(service, start=start, end=start + 1000)
    assert [e["index"] for e in entries] == list(range(total))
    assert independent_root([e["entry"].encode() for e in entries]) == checkpoint.root


def test_subject_queries_search_the_whole_log(service: Service) -> None:
    services = service.app.state.services
    with unit_of_work(services.engine) as session:
        for i in range(150):
            services.audit.append(session, "test.noise", f"noise:{i}", "test", {})
        services.audit.append(session, "test.event", "work:99", "test", {"late": True})
    found = _entries(service, subject="work:99")
    assert [e["index"] for e in found] == [len(KEYS) + 150]
    assert _entries(service, subject="work:99", end=100) == []


def test_truncation_is_refused_and_cut_off_entries_are_found(
    service: Service, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = service.app.state.services
    engine = services.engine
    if engine.dialect.name == "postgresql":
        with Session(engine) as session, pytest.raises(DBAPIError, match="append-only"):
            session.exec(text("TRUNCATE audit_entries, audit_nodes, audit_checkpoints"))  # type: ignore[call-overload]
    kept = tmp_path / "kept-checkpoint"
    kept.write_text(_get(service, "/v1/audit/checkpoint").text)
    cut = len(KEYS) - 2  # remove the last two entries, their hashes and checkpoints
    tamper(
        service,
        f"DELETE FROM audit_entries WHERE idx >= {cut}",
        f"DELETE FROM audit_nodes WHERE (level = 0 AND idx >= {cut}) OR "
        f"(level = 1 AND idx >= {cut // 2})",
        f"DELETE FROM audit_checkpoints WHERE size > {cut}",
    )
    monkeypatch.setenv("GOVERN_DATA_DIR", str(service.settings.data_dir))
    monkeypatch.setenv("GOVERN_DATABASE_URL", service.settings.database_url)
    get_settings.cache_clear()
    alone = CliRunner().invoke(app, ["audit", "check"])
    # The log alone is consistent with itself; the live rows are not: the two keys whose
    # entries were cut off are still in the database, recorded by no entry.
    assert alone.exit_code == 1 and "cut off" not in alone.output, alone.output
    assert alone.output.count("recorded by no key.created entry") == 2, alone.output
    found = CliRunner().invoke(app, ["audit", "check", "--checkpoint", str(kept)])
    assert found.exit_code == 1 and "cut off" in found.output, found.output
    get_settings.cache_clear()


def test_a_rolled_back_savepoint_leaves_no_stale_checkpoint(service: Service) -> None:
    services = service.app.state.services
    with unit_of_work(services.engine) as session, session.begin_nested() as savepoint:
        services.audit.append(session, "test", "x:1", "test", {})
        savepoint.rollback()
    with Session(services.engine) as session:
        assert check_log(session, services.audit) == (len(KEYS), [])


def test_check_reconciles_the_live_rows_with_their_entries(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = register(service.client, service.keys["alice"], png_bytes("coffee")).json()
    monkeypatch.setenv("GOVERN_DATA_DIR", str(service.settings.data_dir))
    monkeypatch.setenv("GOVERN_DATABASE_URL", service.settings.database_url)
    get_settings.cache_clear()
    intact = CliRunner().invoke(app, ["audit", "check"])
    assert intact.exit_code == 0 and "live rows agree" in intact.output, intact.output
    # The log is untouched; the row the API serves is not.
    tamper(service, f"UPDATE works SET title = 'Forged' WHERE id = {work['id']}")
    found = CliRunner().invoke(app, ["audit", "check"])
    assert found.exit_code == 1, found.output
    assert "title" in found.output and "Forged" in found.output, found.output
    get_settings.cache_clear()
