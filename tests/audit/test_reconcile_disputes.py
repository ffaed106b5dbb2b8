"""Reconciling disputes and detector calibrations with their audit entries: a log whose
rows are as the service left them reconciles clean, and each edit made behind the
service's back, straight in the database, is named.

The disputes and the calibration are made once per database; each test that only edits
rows does so in a transaction that is rolled back (tests/support/shared_state.py), after
checking that the shared state reconciles clean."""

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, text, update
from sqlmodel import Session, col, select

from governance.audit import reconcile as reconcile_module
from governance.audit.models import AuditEntry
from governance.audit.reconcile import reconcile
from rights.models import Work
from tests.detectors.helpers import calibrated_toy_detector
from tests.support.helpers import auth, encode, photo, png_bytes, register
from tests.support.service_fixture import Service, make_service
from tests.support.shared_state import rolled_back, run


def _registered(service: Service, holder: str, data: bytes) -> dict[str, Any]:
    made = register(service.client, service.keys[holder], data)
    assert made.status_code == 201, made.text
    return dict(made.json())


def _resolve(service: Service, work_id: int, resolution: str) -> None:
    resolved = service.client.post(
        f"/v1/works/{work_id}/dispute",
        headers=auth(service.keys["admin"]),
        json={"resolution": resolution, "comment": f"{resolution} after review"},
    )
    assert resolved.status_code == 200, resolved.text


def _fill_disputes(service: Service) -> dict[str, int]:
    """Alice's two works; Bob's copy of the first, still disputed, and his copy of the
    second, disputed and upheld."""
    ids = {"plain": _registered(service, "alice", png_bytes("astronaut"))["id"]}
    cropped = photo("astronaut").crop((51, 51, 461, 461))
    open_dispute = _registered(service, "bob", encode(cropped, "JPEG", quality=85))
    assert open_dispute["status"] == "disputed", open_dispute
    ids["open"] = open_dispute["id"]
    ids["earlier"] = _registered(service, "alice", png_bytes("coins"))["id"]
    copy = _registered(service, "bob", encode(photo("coins"), "JPEG", quality=90))
    assert copy["status"] == "disputed", copy
    ids["resolved"] = copy["id"]
    _resolve(service, ids["resolved"], "upheld")
    return ids


def _edit(service: Service, *statements: str) -> None:
    with Session(service.app.state.services.engine) as session:
        for statement in statements:
            session.exec(text(statement))  # type: ignore[call-overload]
        session.commit()


def _edit_resolution(session: Session, work_id: int, **changes: Any) -> None:
    """Change keys of the work's stored resolution (JSON typed for either database)."""
    work = session.exec(select(Work).where(Work.id == work_id)).one()
    assert work.dispute is not None
    changed = {**work.dispute, **changes}
    statement = update(Work).where(col(Work.id) == work_id).values(dispute=changed)
    session.connection().execute(statement)
    session.expire_all()  # the next read sees the edit, not the work loaded above


def _problems(service: Service) -> list[str]:
    with Session(service.app.state.services.engine) as session:
        return reconcile(session)


def _kinds(session: Session) -> dict[str, int]:
    query = select(AuditEntry.kind, func.count()).group_by(col(AuditEntry.kind))
    return dict(session.exec(query).all())


@pytest.fixture(scope="module")
def filled(
    module_database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Service, dict[str, int]]]:
    """The disputes of `_fill_disputes` and a calibrated toy detector ("model"), one service
    per database, shared by the module's tests that roll back what they change."""
    service = make_service(module_database_url, tmp_path_factory.mktemp("disputes") / "data")
    ids = _fill_disputes(service)
    ids["model"] = calibrated_toy_detector(service)
    yield service, ids
    service.app.state.services.engine.dispose()


def _resolution_entries(service: Service, work_id: int) -> list[int]:
    with Session(service.app.state.services.engine) as session:
        query = (
            select(AuditEntry.idx)
            .where(
                AuditEntry.kind == "work.dispute_resolved", AuditEntry.subject == f"work:{work_id}"
            )
            .order_by(col(AuditEntry.idx))
        )
        return list(session.exec(query).all())


def test_disputes_as_the_service_left_them_reconcile(
    filled: tuple[Service, dict[str, int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    service, _ = filled
    with rolled_back(service) as session:
        kinds = _kinds(session)
        assert (kinds["work.disputed"], kinds["work.dispute_resolved"]) == (2, 1)
        assert reconcile(session) == []
        # A batch that ends between a work's entries: each entry still finds what it needs.
        monkeypatch.setattr(reconcile_module, "BATCH", 2)
        assert reconcile(session) == []


# (what is edited, SQL with the ids filled in, what must be named)
DISPUTE_EDITS: list[tuple[str, str, list[str]]] = [
    (
        "open dispute undone",
        "UPDATE works SET status = 'registered' WHERE id = {open}",
        ['works row {open} status: the log says "disputed", the row says "registered"'],
    ),
    (
        "open dispute resolved without an entry",
        "UPDATE works SET status = 'upheld' WHERE id = {open}",
        ['(work:{open}): works row {open} status: the log says "disputed", the row says "upheld"'],
    ),
    (
        "resolution stored without an entry",
        'UPDATE works SET dispute = \'{{"resolution": "upheld"}}\' WHERE id = {open}',
        ['works row {open} dispute: the log says null, the row says {{"resolution": "upheld"}}'],
    ),
    (
        "claim score",
        "UPDATE work_disputes SET score = 0.5 WHERE work_id = {open}",
        ["works row {open} disputed works: the log says [{{", '"score": 0.5'],
    ),
    (
        "claim deleted",
        "DELETE FROM work_disputes WHERE work_id = {open}",
        ["works row {open} disputed works: the log says [{{", "the row says []"],
    ),
    (
        "claim added to a recorded dispute",
        "INSERT INTO work_disputes (work_id, other_work_id, method, score, inliers) "
        "VALUES ({resolved}, {plain}, 'hash', 1.0, 0)",
        [
            "(work:{resolved}): works row {resolved} other_works: the log says [{earlier}], "
            "the row says [{earlier}, {plain}]"
        ],
    ),
    (
        "resolution flipped",
        "UPDATE works SET status = 'rejected' WHERE id = {resolved}",
        ['works row {resolved} status: the log says "upheld", the row says "rejected"'],
    ),
    (
        "resolution undone",
        "UPDATE works SET status = 'disputed', dispute = NULL WHERE id = {resolved}",
        ['works row {resolved} dispute resolution: the log says "upheld", the row says null'],
    ),
    (
        "work disputed without an entry",
        "UPDATE works SET status = 'disputed' WHERE id = {plain}",
        ["works row {plain} is disputed, but no work.disputed entry records its dispute"],
    ),
    (
        "dispute stored on an undisputed work",
        'UPDATE works SET dispute = \'{{"resolution": "upheld"}}\' WHERE id = {plain}',
        [
            "works row {plain} holds a dispute resolution, but no work.disputed entry "
            "records its dispute"
        ],
    ),
    (
        "claim without an entry",
        "INSERT INTO work_disputes (work_id, other_work_id, method, score, inliers) "
        "VALUES ({plain}, {earlier}, 'hash', 1.0, 0)",
        ["(work {plain} over work {earlier}) is recorded by no work.disputed entry"],
    ),
]


@pytest.mark.parametrize(
    ("sql", "named"), [e[1:] for e in DISPUTE_EDITS], ids=[e[0] for e in DISPUTE_EDITS]
)
def test_each_dispute_edit_is_named(
    filled: tuple[Service, dict[str, int]], sql: str, named: list[str]
) -> None:
    service, ids = filled
    with rolled_back(service) as session:
        assert reconcile(session) == []
        run(session, sql.format(**ids))
        problems = reconcile(session)
    wanted = [part.format(**ids) for part in named]
    assert any(all(part in problem for part in wanted) for problem in problems), problems


_AT = "dispute resolved_at (at most 5 minutes before its entry): the log says 20"


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        (
            {"comment": "forged"},
            ['dispute comment: the log says "upheld after review"', '"forged"'],
        ),
        ({"resolved_by": "key:99"}, ['dispute resolved_by: the log says "key:', '"key:99"']),
        ({"resolved_at": "2020-01-01T00:00:00+00:00"}, [_AT, '"2020-01-01T00:00:00+00:00"']),
        ({"resolved_at": "yesterday"}, [_AT, '"yesterday"']),
    ],
    ids=["comment", "resolved_by", "resolved_at", "resolved_at unreadable"],
)
def test_each_change_to_a_stored_resolution_is_named(
    filled: tuple[Service, dict[str, int]], changes: dict[str, Any], named: list[str]
) -> None:
    service, ids = filled
    with rolled_back(service) as session:
        assert reconcile(session) == []
        _edit_resolution(session, ids["resolved"], **changes)
        [problem] = reconcile(session)
    assert problem.startswith("entry "), problem
    assert f"(work:{ids['resolved']}): works row {ids['resolved']} {named[0]}" in problem
    assert problem.endswith(f"the row says {named[1]}"), problem


def test_a_resolution_overridden_behind_the_log_is_named(service: Service) -> None:
    ids = _fill_disputes(service)
    # Reopened in the database, then resolved again through the service: the row holds
    # the second resolution, and the first is what is named.
    _edit(
        service,
        f"UPDATE works SET status = 'disputed', dispute = NULL WHERE id = {ids['resolved']}",
    )
    _resolve(service, ids["resolved"], "rejected")
    first, second = _resolution_entries(service, ids["resolved"])
    assert _problems(service) == [
        f"entry {first} (work:{ids['resolved']}): the work was resolved again by entry "
        f"{second}; a work is resolved once, so its row was set back to disputed behind "
        "the log's back"
    ]


def test_a_calibration_as_the_service_left_it_reconciles(
    filled: tuple[Service, dict[str, int]],
) -> None:
    service, _ = filled
    with rolled_back(service) as session:
        assert _kinds(session)["detector.calibrated"] == 1
        assert reconcile(session) == []


CALIBRATION_EDITS: list[tuple[str, str, list[str]]] = [
    (
        "threshold",
        "UPDATE detector_calibrations SET threshold = 0.999 WHERE model_id = {model}",
        ["detector_calibrations row ", " threshold: the log says ", "the row says 0.999"],
    ),
    (
        "parameters",
        'UPDATE detector_calibrations SET parameters = \'{{"a": 1.0, "b": 0.0}}\' '
        "WHERE model_id = {model}",
        [' parameters: the log says {{"a": ', 'the row says {{"a": 1.0, "b": 0.0}}'],
    ),
    (
        "figures",
        "UPDATE detector_calibrations SET figures = '{{}}' WHERE model_id = {model}",
        [' figures: the log says {{"auc": ', "the row says {{}}"],
    ),
    (
        "weights",
        "UPDATE detector_calibrations SET weights_sha256 = '{zeros}' WHERE model_id = {model}",
        [' weights_sha256: the log says "', 'the row says "{zeros}"'],
    ),
    (
        "calibrated by",
        "UPDATE detector_calibrations SET calibrated_by = 'key:9' WHERE model_id = {model}",
        [' calibrated_by: the log says "tester", the row says "key:9"'],
    ),
    (
        "deleted",
        "DELETE FROM detector_calibrations WHERE model_id = {model}",
        ["(model:{model}): no detector_calibrations row names it as its entry"],
    ),
    (
        "inserted",
        "INSERT INTO detector_calibrations (model_id, weights_sha256, method, parameters, "
        "figures, target_fpr, threshold, calibrated_by, audit_index, created_at) "
        "SELECT model_id, weights_sha256, method, parameters, figures, target_fpr, 0.01, "
        "calibrated_by, 0, CURRENT_TIMESTAMP FROM detector_calibrations WHERE model_id = {model}",
        ["is recorded by no detector.calibrated entry (it names entry 0)"],
    ),
]


@pytest.mark.parametrize(
    ("sql", "named"), [e[1:] for e in CALIBRATION_EDITS], ids=[e[0] for e in CALIBRATION_EDITS]
)
def test_each_calibration_edit_is_named(
    filled: tuple[Service, dict[str, int]], sql: str, named: list[str]
) -> None:
    service, ids = filled
    values = {"model": ids["model"], "zeros": "0" * 64}
    with rolled_back(service) as session:
        assert reconcile(session) == []
        run(session, sql.format(**values))
        problems = reconcile(session)
    wanted = [part.format(**values) for part in named]
    assert any(all(part in problem for part in wanted) for problem in problems), problems
