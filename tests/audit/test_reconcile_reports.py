"""Reconciling report and decision rows with their report.ready and review.decided
entries, both ways: a row altered, an entry whose row is gone, a row with no entry, and a
call's status moved behind the log's back.

The restoration is made once per database; each test edits it in a transaction that is
rolled back (tests/support/shared_state.py), after checking that it reconciles clean."""

from collections.abc import Callable, Iterator

import pytest

from governance.audit.reconcile import reconcile
from tests.evidence.support import Restored, restored
from tests.support.shared_state import rolled_back, run

Edit = Callable[..., list[str]]


@pytest.fixture(scope="module")
def made(module_database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Restored]:
    call = restored(module_database_url, tmp_path_factory.mktemp("restored") / "data")
    yield call
    call.service.app.state.services.engine.dispose()


@pytest.fixture
def edit(made: Restored) -> Iterator[Edit]:
    """Runs SQL in a transaction rolled back after the test, each call after the earlier
    ones, and answers the problems then found."""
    with rolled_back(made.service) as session:
        assert reconcile(session) == []

        def edit(*statements: str) -> list[str]:
            run(session, *statements)
            return reconcile(session)

        yield edit


def test_intact_rows_reconcile(edit: Edit) -> None:
    assert edit() == []


def test_an_altered_report_row_is_named(made: Restored, edit: Edit) -> None:
    problems = edit(
        f"UPDATE call_reports SET report_sha256 = '{'0' * 64}', files = '{{}}' "
        f"WHERE id = {made.report_id}",
    )
    assert len(problems) == 2, problems
    assert f"call_reports row {made.report_id} report_sha256: the log says" in problems[0]
    assert f'the row says "{"0" * 64}"' in problems[0]
    assert f"call_reports row {made.report_id} files:" in problems[1]


def test_a_report_row_no_longer_ready_is_named(made: Restored, edit: Edit) -> None:
    (problem,) = edit(f"UPDATE call_reports SET state = 'failed' WHERE id = {made.report_id}")
    assert 'state: the log says "ready", the row says "failed"' in problem


def test_an_altered_decision_is_named(made: Restored, edit: Edit) -> None:
    (problem,) = edit(f"UPDATE call_reviews SET decision = 'reject' WHERE id = {made.review_id}")
    assert f"call_reviews row {made.review_id} decision" in problem
    assert '"approve", the row says "reject"' in problem


def test_a_call_released_behind_the_log_is_named(made: Restored, edit: Edit) -> None:
    problems = edit(f"UPDATE model_calls SET status = 'released' WHERE id = {made.call_id}")
    mine = [p for p in problems if "after the newest decision" in p]
    assert len(mine) == 1, problems
    assert f"model_calls row {made.call_id}" in mine[0]
    assert '"pending_review", the row says "released"' in mine[0]


def test_rows_with_no_entry_and_an_entry_whose_row_is_gone(made: Restored, edit: Edit) -> None:
    problems = edit(
        "INSERT INTO call_reviews (call_id, reviewer_key_id, reviewer, decision, comment, "
        "regions, report_sha256, audit_index, decided_at) SELECT call_id, reviewer_key_id, "
        "'someone', 'approve', 'slipped in', '[]', report_sha256, NULL, decided_at "
        f"FROM call_reviews WHERE id = {made.review_id}",
    )
    (problem,) = problems
    assert (
        problem == "call_reviews row 2 is recorded by no review.decided entry (it names entry None)"
    )
    problems = edit(f"DELETE FROM call_reviews WHERE id = {made.review_id}")
    assert problems[0].endswith("no call_reviews row names it as its entry"), problems
    problems = edit(f"UPDATE call_reports SET audit_index = NULL WHERE id = {made.report_id}")
    assert any(p.endswith("no call_reports row names it as its entry") for p in problems), problems
    assert (
        f"call_reports row {made.report_id} is recorded by no report.ready entry "
        "(it names entry None)"
    ) in problems
