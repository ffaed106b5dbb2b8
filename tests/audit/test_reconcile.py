"""Reconciling live rows with their audit entries: every edit made behind the service's
back, straight in the database, is named with its row, field and both values.

The filled service is built once per database; each test edits it in a transaction that
is rolled back (tests/support/shared_state.py) and first checks that it reconciles clean."""

from collections.abc import Iterator
from typing import Any

import pytest

from governance.audit import reconcile as reconcile_module
from governance.audit.entries import ENTRY_KINDS
from governance.audit.reconcile import MAX_PROBLEMS, reconcile
from governance.auth.service import revoke_key
from governance.db import unit_of_work
from tests.support.helpers import auth, png_bytes, register
from tests.support.label_helpers import generated, generator
from tests.support.service_fixture import Service, make_service
from tests.support.shared_state import rolled_back, run


def _fill(service: Service) -> dict[str, Any]:
    """Two holders' works, a change of terms, a model, a labelled call, the model's
    retirement, a revoked key."""
    ids: dict[str, Any] = {}
    for holder, photo in (("alice", "coffee"), ("bob", "camera")):
        made = register(service.client, service.keys[holder], png_bytes(photo), title="A work")
        assert made.status_code == 201, made.text
        ids[holder] = made.json()["id"]
    changed = service.client.put(
        f"/v1/works/{ids['alice']}/terms",
        headers=auth(service.keys["alice"]),
        json={"terms": {"ai_training": "allowed"}},
    )
    assert changed.status_code == 200, changed.text
    ids["model"] = generator(service)
    call = generated(service, ids["model"])
    ids["call"] = call["id"]
    retired = service.client.post(
        f"/v1/models/{ids['model']}/retire",
        headers=auth(service.keys["admin"]),
        json={"reason": "superseded"},
    )
    assert retired.status_code == 200, retired.text
    services = service.app.state.services
    with unit_of_work(services.engine) as session:
        revoke_key(session, services.audit, 2)  # bob's key
    return ids


@pytest.fixture(scope="module")
def filled(
    module_database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Service, dict[str, Any]]]:
    """The service as `_fill` leaves it, one per database, shared by the module's tests."""
    service = make_service(module_database_url, tmp_path_factory.mktemp("reconcile") / "data")
    yield service, _fill(service)
    service.app.state.services.engine.dispose()


def test_every_entry_kind_is_reconciled() -> None:
    # A kind added to entries.py without a check here would stop `reconcile` with a KeyError.
    assert set(reconcile_module._CHECKS) == set(ENTRY_KINDS)


def test_an_intact_database_reconciles(filled: tuple[Service, dict[str, Any]]) -> None:
    service, _ = filled
    with rolled_back(service) as session:
        assert reconcile(session) == []


def test_reconciles_across_batches(
    filled: tuple[Service, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    service, ids = filled
    monkeypatch.setattr(reconcile_module, "BATCH", 2)
    with rolled_back(service) as session:
        assert reconcile(session) == []
        run(session, f"UPDATE works SET title = 'Forged' WHERE id = {ids['bob']}")
        assert reconcile(session) == [
            f"entry 7 (work:{ids['bob']}): works row {ids['bob']} title: "
            'the log says "A work", the row says "Forged"'
        ]


# (what is edited, SQL with the ids filled in, what must be named)
EDITS: list[tuple[str, str, list[str]]] = [
    (
        "terms version",
        'UPDATE work_terms_versions SET effective = \'{{"ai_training": "notAllowed"}}\' '
        "WHERE work_id = {alice} AND version = 2",
        [
            '(work {alice} version 2) terms: the log says {{"ai_generative_training"',
            'the row says {{"ai_training": "notAllowed"}}',
        ],
    ),
    (
        "first terms version",
        "UPDATE work_terms_versions SET changed_by = 'key:9' WHERE work_id = {bob}",
        ['(work {bob} version 1) changed_by: the log says "key:2", the row says "key:9"'],
    ),
    (
        "title",
        "UPDATE works SET title = 'Forged' WHERE id = {alice}",
        ['works row {alice} title: the log says "A work", the row says "Forged"'],
    ),
    (
        "creator",
        "UPDATE works SET creator = 'Someone' WHERE id = {alice}",
        ['works row {alice} creator: the log says "A creator", the row says "Someone"'],
    ),
    (
        "licence",
        "UPDATE works SET license = 'CC0-1.0' WHERE id = {alice}",
        ['works row {alice} license: the log says "CC-BY-4.0", the row says "CC0-1.0"'],
    ),
    (
        "holder",
        "UPDATE works SET holder_id = (SELECT holder_id FROM works WHERE id = {bob}) "
        "WHERE id = {alice}",
        ["works row {alice} holder_id: the log says 1, the row says 2"],
    ),
    (
        "fingerprint",
        "UPDATE work_fingerprints SET value = 7 WHERE work_id = {alice} AND kind = 'phash' "
        "AND orientation = 'original'",
        ["works row {alice} fingerprints: the log says"],
    ),
    (
        "call status",
        "UPDATE model_calls SET status = 'blocked' WHERE id = {call}",
        ['model_calls row {call} status: the log says "released", the row says "blocked"'],
    ),
    (
        "call status that is no status",
        "UPDATE model_calls SET status = 'approved' WHERE id = {call}",
        ['model_calls row {call} status: the log says "released", the row says "approved"'],
    ),
    (
        "call output",
        "UPDATE model_calls SET output_sha256 = '{zeros}' WHERE id = {call}",
        ['model_calls row {call} output_sha256: the log says "', '", the row says "{zeros}"'],
    ),
    (
        "call stages",
        "UPDATE model_calls SET stages = '[]' WHERE id = {call}",
        ["model_calls row {call} stages sha256: the log says"],
    ),
    (
        "call request",
        "UPDATE model_calls SET request = '{{}}' WHERE id = {call}",
        ["model_calls row {call} request: the log says {{", ", the row says {{}}"],
    ),
    (
        "model weights",
        "UPDATE ai_models SET weights_sha256 = '{zeros}' WHERE id = {model}",
        ['ai_models row {model} weights_sha256: the log says "', 'the row says "{zeros}"'],
    ),
    (
        "model adapter",
        "UPDATE ai_models SET adapter = 'python:x:y' WHERE id = {model}",
        ['ai_models row {model} adapter: the log says "python:tests.support.fake_models:'],
    ),
    (
        "training dataset",
        "UPDATE training_datasets SET legal_basis = 'consent' WHERE model_id = {model}",
        ["ai_models row {model} datasets: the log says"],
    ),
    (
        "clearance verdict",
        "UPDATE model_clearances SET verdict = CASE WHEN verdict = 'blocked' "
        "THEN 'cleared' ELSE 'blocked' END WHERE model_id = {model}",
        ["model_clearances row", " verdict: the log says "],
    ),
    (
        "clearance evidence",
        "UPDATE model_clearances SET uses = '{{\"required\": []}}' WHERE model_id = {model}",
        ["evidence sha256: the log says", "unreadable evidence"],
    ),
    (
        "label watermark",
        "UPDATE output_labels SET watermark_id = 'forged' WHERE call_id = {call}",
        ['watermark_id: the log says "', 'the row says "forged"'],
    ),
    (
        "label manifest",
        "UPDATE output_labels SET manifest_id = 'urn:forged' WHERE call_id = {call}",
        ['manifest_id: the log says "urn:', 'the row says "urn:forged"'],
    ),
    (
        "key role",
        "UPDATE api_keys SET role = 'admin' WHERE id = 1",
        ['(key:1): api_keys row 1 role: the log says "rights_holder", the row says "admin"'],
    ),
    (
        "revocation undone",
        "UPDATE api_keys SET revoked_at = NULL WHERE id = 2",
        [
            "(key:2): api_keys row 2 revoked: the log says true, the row says false",
        ],
    ),
    (
        "revocation without an entry",
        "UPDATE api_keys SET revoked_at = CURRENT_TIMESTAMP WHERE id = 3",
        ["(key:3): api_keys row 3 revoked: the log says false, the row says true"],
    ),
    (
        "inserted work",
        "INSERT INTO works (holder_id, title, creator, license, sha256, pixel_sha256, "
        "media_type, width, height, byte_size, created_at) VALUES (1, 'Planted', 'x', "
        "'CC0-1.0', '{zeros}', '{zeros}', 'image/png', 8, 8, 10, CURRENT_TIMESTAMP)",
        ["is recorded by no work.registered entry"],
    ),
    (
        "inserted terms version",
        "INSERT INTO work_terms_versions (work_id, version, effective_from, declared, "
        "embedded, effective, changed_by) VALUES ({bob}, 2, CURRENT_TIMESTAMP, '{{}}', "
        "'{{}}', '{{}}', 'key:2')",
        ["(work {bob} version 2) is recorded by no entry"],
    ),
    (
        "inserted key",
        "INSERT INTO api_keys (name, role, key_sha256, created_at) "
        "VALUES ('mallory', 'admin', '{zeros}', CURRENT_TIMESTAMP)",
        ["api_keys row ", " is recorded by no key.created entry"],
    ),
    (
        "inserted clearance",
        "INSERT INTO model_clearances (model_id, verdict, uses, trigger, audit_index, "
        "computed_at) SELECT model_id, 'cleared', uses, trigger, 0, CURRENT_TIMESTAMP "
        "FROM model_clearances WHERE model_id = {model}",
        ["is recorded by no model.clearance entry (it names entry 0)"],
    ),
    (
        "retirement reason",
        "UPDATE model_retirements SET reason = 'none' WHERE model_id = {model}",
        ["retirement", 'reason: the log says "superseded", the row says "none"'],
    ),
    (
        "deleted retirement",
        "DELETE FROM model_retirements WHERE model_id = {model}",
        ["(model:{model}): no model_retirements row names it as its entry"],
    ),
    (
        "deleted label",
        "DELETE FROM output_labels WHERE call_id = {call}",
        ["(call:{call}): no output_labels row names it as its entry"],
    ),
]


@pytest.mark.parametrize(("sql", "named"), [e[1:] for e in EDITS], ids=[e[0] for e in EDITS])
def test_each_edit_is_named(
    filled: tuple[Service, dict[str, Any]], sql: str, named: list[str]
) -> None:
    service, ids = filled
    values = {**ids, "zeros": "0" * 64}
    with rolled_back(service) as session:
        assert reconcile(session) == []
        run(session, sql.format(**values))
        problems = reconcile(session)
    wanted = [part.format(**values) for part in named]
    assert any(all(part in problem for part in wanted) for problem in problems), problems


def test_problems_are_capped(filled: tuple[Service, dict[str, Any]]) -> None:
    service, _ = filled
    planted = ", ".join(
        f"(1, 'Planted', 'x', 'CC0-1.0', 's{n}', 'p{n}', 'image/png', 8, 8, 10, CURRENT_TIMESTAMP)"
        for n in range(MAX_PROBLEMS + 5)
    )
    with rolled_back(service) as session:
        assert reconcile(session) == []
        run(
            session,
            "INSERT INTO works (holder_id, title, creator, license, sha256, pixel_sha256, "
            f"media_type, width, height, byte_size, created_at) VALUES {planted}",
        )
        problems = reconcile(session)
    assert len(problems) == MAX_PROBLEMS
    assert all("is recorded by no work.registered entry" in p for p in problems)
