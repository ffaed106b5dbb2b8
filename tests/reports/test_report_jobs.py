"""A restoration's report as a job: queued with the call, ready once run, served as
stored and audited once; failures, retries and who may read it."""

import hashlib
import json

import pytest
from sqlmodel import Session, col, delete

from governance.pipeline.stages.screen import WATERMARK_MAX_CHANGE
from governance.reports import job
from governance.reports.consumer import requeue_stale, run_pending, unfinished
from governance.reports.models import CallReport, ReportState
from governance.reports.queue import report_queue
from governance.reports.service import queue_report
from tests.reports.helpers import ready_entries, report_row, restoration, restorer
from tests.support.call_helpers import _mask, _model, generate, restore
from tests.support.helpers import auth, encode, np_image
from tests.support.model_helpers import GENERATOR
from tests.support.service_fixture import Service

READERS = ("operator", "auditor", "conservator", "admin")


def _get(service: Service, path: str, key: str = "conservator"):  # type: ignore[no-untyped-def]
    return service.client.get(path, headers=auth(service.keys[key]))


def test_report_is_queued_with_the_call_then_served_as_stored(service: Service) -> None:
    call = restoration(service, restorer(service))
    call_id = call["id"]
    assert call["status"] == "pending_review"
    url = f"/v1/calls/{call_id}/report"
    assert call["report"] == {"state": "queued", "url": url}
    waiting = _get(service, url)
    assert waiting.status_code == 202
    assert waiting.json()["state"] == "queued"
    assert _get(service, f"{url}.html").status_code == 202

    done = run_pending(service.app.state.services, timeout=300)
    assert done.ready == [call_id] and not done.failed and not done.left

    row = report_row(service, call_id)
    answer = _get(service, url)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    stored = service.app.state.services.blobs.get(row.report_sha256)
    assert answer.content == stored
    assert hashlib.sha256(answer.content).hexdigest() == row.report_sha256
    [entry] = ready_entries(service, call_id)
    data = json.loads(entry.entry)["data"]
    assert data["report_sha256"] == row.report_sha256 == hashlib.sha256(stored).hexdigest()
    assert row.audit_index == entry.idx
    report = json.loads(answer.content)
    assert report["schema"] == data["report_schema"] == "restoration-report/1"
    assert report["call_id"] == call_id
    # The black-box test model: no parts, so no randomisation check to cite.
    assert data["randomisation_sha256"] is None
    assert report["what_changed"]["watermark_levels"] == WATERMARK_MAX_CHANGE

    # Every file the entry names is served with its media type and hashes as named.
    assert "report.html" in row.files
    assert {f["name"] for f in data["files"]} == set(row.files)
    for listed in data["files"]:
        name = listed["name"]
        path = f"{url}.html" if name == "report.html" else f"{url}/files/{name}"
        served = _get(service, path, "auditor")
        assert served.status_code == 200, name
        assert served.headers["content-type"].startswith(listed["media_type"])
        assert hashlib.sha256(served.content).hexdigest() == listed["sha256"]
        assert len(served.content) == listed["size"]
    assert "default-src 'none'" in _get(service, f"{url}.html").headers["content-security-policy"]
    called = _get(service, f"/v1/calls/{call_id}", "operator").json()
    assert called["report"] == {"state": "ready", "url": url}


@pytest.mark.parametrize(
    "name", ["nothing.png", "..%2F..%2Fgovern.db", "%2E%2E", "report.json", "REPORT.HTML"]
)
def test_unknown_file_names_are_not_found(service: Service, name: str) -> None:
    call_id = restoration(service, restorer(service))["id"]
    run_pending(service.app.state.services, timeout=300)
    answer = _get(service, f"/v1/calls/{call_id}/report/files/{name}")
    assert answer.status_code == 404
    assert answer.json()["error"] in ("ReportFileNotFound", "NotFound")


def test_a_second_delivery_records_nothing(service: Service) -> None:
    call_id = restoration(service, restorer(service))["id"]
    services = service.app.state.services
    assert job.run_report_job(services, call_id) is ReportState.READY
    first = report_row(service, call_id)
    # The message again, and the job again: the row is ready, nothing is recomputed.
    report_queue(services.settings).enqueue(call_id)
    assert job.run_report_job(services, call_id) is None
    assert run_pending(services, timeout=60).ready == []
    again = report_row(service, call_id)
    assert (again.attempts, again.report_sha256, again.audit_index) == (
        1,
        first.report_sha256,
        first.audit_index,
    )
    assert len(ready_entries(service, call_id)) == 1


def test_a_presumed_dead_attempt_records_nothing(service: Service) -> None:
    call_id = restoration(service, restorer(service))["id"]
    services = service.app.state.services
    assert job.take(services, call_id) == 1
    # Taken for dead and requeued; the second attempt records, the first is discarded.
    assert requeue_stale(services, stale_after=0.0) == [call_id]
    assert job.run_report_job(services, call_id) is ReportState.READY
    assert report_row(service, call_id).attempts == 2
    assert job.fail(services, call_id, 1, "late") is False
    assert report_row(service, call_id).state == ReportState.READY
    assert len(ready_entries(service, call_id)) == 1


def test_a_failed_report_says_why_and_an_admin_retries_it(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    import explain.report

    call_id = restoration(service, restorer(service))["id"]
    services = service.app.state.services

    def broken(*_: object, **__: object) -> None:
        raise ValueError("the mask has no boundary ring")

    with monkeypatch.context() as patched:
        patched.setattr(explain.report, "explain_restoration", broken)
        assert run_pending(services, timeout=60).failed == [call_id]
    row = report_row(service, call_id)
    assert row.state == ReportState.FAILED
    assert row.reason == "ValueError: the mask has no boundary ring"
    url = f"/v1/calls/{call_id}/report"
    answer = _get(service, url)
    assert answer.status_code == 409
    assert answer.json()["error"] == "ReportFailed"
    assert "the mask has no boundary ring" in answer.json()["detail"]
    called = _get(service, f"/v1/calls/{call_id}", "operator").json()
    assert called["report"]["state"] == "failed"
    assert ready_entries(service, call_id) == []

    for key in ("operator", "conservator", "auditor"):
        assert (
            service.client.post(f"{url}/retry", headers=auth(service.keys[key])).status_code == 403
        )
    retried = service.client.post(f"{url}/retry", headers=auth(service.keys["admin"]))
    assert retried.status_code == 202, retried.text
    assert retried.json()["state"] == "queued"
    again = service.client.post(f"{url}/retry", headers=auth(service.keys["admin"]))
    assert again.status_code == 409
    assert again.json()["error"] == "ReportNotFailed"
    assert run_pending(services, timeout=300).ready == [call_id]
    assert _get(service, url).status_code == 200
    assert report_row(service, call_id).attempts == 2
    assert len(ready_entries(service, call_id)) == 1
    nothing = service.client.post("/v1/calls/999/report/retry", headers=auth(service.keys["admin"]))
    assert nothing.status_code == 404


def test_who_may_read_a_report(service: Service) -> None:
    call_id = restoration(service, restorer(service))["id"]
    run_pending(service.app.state.services, timeout=300)
    url = f"/v1/calls/{call_id}/report"
    for key in READERS:
        assert _get(service, url, key).status_code == 200, key
        assert _get(service, f"{url}.html", key).status_code == 200, key
    for key in ("alice", "regulator"):
        assert _get(service, url, key).status_code == 403, key
        assert _get(service, f"{url}.html", key).status_code == 403, key
    assert service.client.get(url).status_code == 401


def test_calls_without_a_report(service: Service) -> None:
    # A generation that keeps its output gets a report (what it resembles) queued too.
    generator = _model(service, adapter=GENERATOR, name="generator", kind="generation")
    made = generate(service, generator)
    assert made.status_code == 201, made.text
    call_id = made.json()["id"]
    assert made.json()["report"] == {"state": "queued", "url": f"/v1/calls/{call_id}/report"}
    assert _get(service, f"/v1/calls/{call_id}/report", "auditor").status_code == 202
    assert _get(service, "/v1/calls/4242/report", "auditor").json()["error"] == "ReportNotFound"
    # A restoration that failed keeps no output and has no report.
    failing = restorer(service, "python:tests.support.fake_models:raising_restore")
    answer = restore(service, encode(np_image(2)), _mask(64, 64), failing).json()
    assert answer["status"] == "failed" and answer["report"] is None
    assert _get(service, f"/v1/calls/{answer['id']}/report").status_code == 404
    assert unfinished(service.app.state.services) == [(call_id, "queued")]


def test_the_queue_row_is_written_in_the_calls_unit_of_work(service: Service) -> None:
    """A call whose transaction rolled back leaves no report row and enqueues nothing."""
    call_id = restoration(service, restorer(service))["id"]
    services = service.app.state.services
    queue = report_queue(services.settings)
    before = queue.pending()
    with Session(services.engine) as session:
        session.exec(delete(CallReport).where(col(CallReport.call_id) == call_id))
        queue_report(session, services, call_id)
        session.rollback()
    assert queue.pending() == before
    assert report_row(service, call_id).state == ReportState.QUEUED
