"""The review rules, on both databases: who may decide, on what, and what a decision does."""

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from governance.audit.models import AuditEntry
from governance.calls.models import ModelCall
from governance.reviews.models import CallReview
from tests.reviews.support import conservator, decide, pending_call, put_report_row
from tests.support.helpers import auth
from tests.support.service_fixture import Service, make_service


def _entries(service: Service, kind: str) -> list[dict[str, Any]]:
    with Session(service.app.state.services.engine) as session:
        rows = session.exec(select(AuditEntry).where(AuditEntry.kind == kind)).all()
        return [json.loads(r.entry) for r in sorted(rows, key=lambda r: r.idx)]


def test_a_decision_needs_a_ready_report(service: Service) -> None:
    key = conservator(service, "Conservation office")
    call = pending_call(service)
    refused = decide(service, key, call["id"])
    assert refused.status_code == 409 and refused.json()["error"] == "ReportNotReady"
    put_report_row(service, call["id"], state="running")
    refused = decide(service, key, call["id"])
    assert refused.status_code == 409 and "running" in refused.json()["detail"]
    assert _entries(service, "review.decided") == []


def test_one_approval_releases_signed_again_and_recorded(service: Service) -> None:
    key = conservator(service, "Conservation office")
    call = pending_call(service)
    sha = put_report_row(service, call["id"])
    before = service.client.get(call["output_url"], headers=auth(key)).content
    answer = decide(
        service,
        key,
        call["id"],
        regions=[{"x": 1, "y": 2, "width": 10, "height": 5, "note": "fill"}],
    )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["status"] == "released" and body["report_sha256"] == sha
    assert body["reviewer"] == "Conservation office" and body["decision"] == "approve"
    released = body["released"]
    # Served to anyone now, and it is the file signed again, not the pending one.
    served = service.client.get(call["output_url"], headers=auth(service.keys["regulator"]))
    assert served.status_code == 200 and served.content != before
    assert hashlib.sha256(served.content).hexdigest() == released["output_sha256"]
    record = service.client.get(f"/v1/calls/{call['id']}", headers=auth(key)).json()
    assert record["status"] == "released" and record["output_sha256"] == released["output_sha256"]
    manifest = service.client.get(released["manifest_url"], headers=auth(service.keys["regulator"]))
    assert manifest.status_code == 200
    assert hashlib.sha256(manifest.content).hexdigest() == released["manifest_store_sha256"]
    # The entry: every field, in the same unit of work as the row and the status.
    [entry] = _entries(service, "review.decided")
    assert entry["index"] == body["audit_index"] and entry["subject"] == f"call:{call['id']}"
    data = entry["data"]
    assert data["decision"] == "approve" and data["reviewer"] == "Conservation office"
    assert data["report_sha256"] == sha and data["status"] == "released"
    assert data["regions"] == [{"x": 1, "y": 2, "width": 10, "height": 5, "note": "fill"}]
    assert data["released"] == {k: released[k] for k in data["released"]}
    assert data["comment"] == "looks right" and data["reviewer_key_id"] == body["reviewer_key_id"]
    # The released label is recorded like any label, right after the decision.
    labelled = _entries(service, "output.labelled")[-1]
    assert labelled["index"] == entry["index"] + 1
    assert labelled["data"]["manifest_id"] == released["manifest_id"]
    listed = service.client.get(f"/v1/calls/{call['id']}/reviews", headers=auth(key)).json()
    assert listed["status"] == "released" and listed["approvals"] == 1
    assert [r["audit_index"] for r in listed["reviews"]] == [entry["index"]]
    # Final: another decision is refused.
    again = decide(service, conservator(service, "Second office"), call["id"])
    assert again.status_code == 409 and again.json()["error"] == "CallNotPending"


def test_the_holder_who_made_the_call_may_not_review_it(service: Service) -> None:
    # A conservator key of the operator's own holder: the same person or office.
    own = conservator(service, "operator", holder=True)
    call = pending_call(service)
    put_report_row(service, call["id"])
    refused = decide(service, own, call["id"])
    assert refused.status_code == 403 and refused.json()["error"] == "OwnCall"


def test_two_approvals_by_different_holders(database_url: str, tmp_path: Path) -> None:
    service = make_service(database_url, tmp_path / "data", review_approvals=2)
    try:
        first = conservator(service, "Paintings")
        first_again = conservator(service, "Paintings", holder=True)
        second = conservator(service, "Paper")
        call = pending_call(service)
        put_report_row(service, call["id"])
        answer = decide(service, first, call["id"])
        assert answer.status_code == 201 and answer.json()["status"] == "pending_review"
        assert answer.json()["released"] is None
        queue = service.client.get("/v1/reviews", headers=auth(second)).json()["calls"]
        assert [(c["call_id"], c["approvals"], c["approvals_needed"]) for c in queue] == [
            (call["id"], 1, 2)
        ]
        # Another key of the same holder is the same reviewer.
        again = decide(service, first_again, call["id"])
        assert again.status_code == 409 and again.json()["error"] == "AlreadyDecided"
        # Still pending: not served to a regulator.
        hidden = service.client.get(call["output_url"], headers=auth(service.keys["regulator"]))
        assert hidden.status_code == 403
        done = decide(service, second, call["id"])
        assert done.status_code == 201 and done.json()["status"] == "released"
        entries = _entries(service, "review.decided")
        assert [e["data"]["status"] for e in entries] == ["pending_review", "released"]
        assert entries[0]["data"]["released"] is None
    finally:
        service.app.state.services.engine.dispose()


def test_one_rejection_withholds_the_output_from_everyone(service: Service) -> None:
    key = conservator(service, "Conservation office")
    call = pending_call(service)
    put_report_row(service, call["id"])
    pending = service.client.get(call["output_url"], headers=auth(key)).content
    answer = decide(service, key, call["id"], "reject", comment="the fill is wrong")
    assert answer.status_code == 201 and answer.json()["status"] == "rejected"
    with Session(service.app.state.services.engine) as session:
        row = session.get(ModelCall, call["id"])
        assert row is not None and row.status == "rejected"
    for name in ("regulator", "operator", "auditor", "admin"):
        served = service.client.get(call["output_url"], headers=auth(service.keys[name]))
        assert served.status_code in (403, 404), name
    assert service.client.get(call["output_url"], headers=auth(key)).status_code == 404
    # Nor its manifest, nor what verification says of the service's records.
    report = service.client.post(
        "/v1/verify",
        headers=auth(service.keys["admin"]),
        files={"file": ("f.png", pending, "image/png")},
    ).json()
    assert report["record"] is None and report["fingerprint"]["matches"] == []
    manifest_id = report["c2pa"]["manifest_id"]
    assert (
        service.client.get(
            f"/v1/manifests/{manifest_id}", headers=auth(service.keys["admin"])
        ).status_code
        == 403
    )
    later = decide(service, conservator(service, "Another office"), call["id"])
    assert later.status_code == 409 and later.json()["error"] == "CallNotPending"
    queue = service.client.get("/v1/reviews", headers=auth(key)).json()["calls"]
    assert queue == []


@pytest.mark.parametrize("role", ["operator", "auditor", "admin", "regulator", "alice"])
def test_only_conservators_decide(service: Service, role: str) -> None:
    call = pending_call(service)
    put_report_row(service, call["id"])
    refused = decide(service, service.keys[role], call["id"])
    assert refused.status_code == 403, refused.text
    with Session(service.app.state.services.engine) as session:
        assert session.exec(select(CallReview)).all() == []


def test_who_reads_the_queue_and_the_decisions(service: Service) -> None:
    key = conservator(service, "Conservation office")
    first = pending_call(service, seed=1)
    second = pending_call(service, seed=2)
    put_report_row(service, first["id"], state="queued")
    put_report_row(service, second["id"])
    for role in ("auditor", "admin"):
        assert (
            service.client.get("/v1/reviews", headers=auth(service.keys[role])).status_code == 200
        )
    for role in ("operator", "regulator", "alice"):
        refused = service.client.get("/v1/reviews", headers=auth(service.keys[role]))
        assert refused.status_code == 403, role
    queue = service.client.get("/v1/reviews", headers=auth(key)).json()["calls"]
    assert [c["call_id"] for c in queue] == [first["id"], second["id"]]  # oldest first
    assert queue[0]["report"] == {"state": "queued", "report_sha256": None, "reason": None}
    assert queue[1]["report"]["state"] == "ready" and queue[1]["approvals"] == 0
    assert all(c["flags"] == [] for c in queue)  # reviewed by rule, nothing flagged
    listed = service.client.get(
        f"/v1/calls/{first['id']}/reviews", headers=auth(service.keys["operator"])
    )
    assert listed.status_code == 200 and listed.json()["reviews"] == []
    refused = service.client.get(
        f"/v1/calls/{first['id']}/reviews", headers=auth(service.keys["regulator"])
    )
    assert refused.status_code == 403
    missing = service.client.get("/v1/calls/999/reviews", headers=auth(key))
    assert missing.status_code == 404
    assert decide(service, key, 999).status_code == 404


@pytest.fixture(scope="module")
def ready_for_review(module_service: Service) -> tuple[Service, str, int]:
    """A conservator's key and a pending call with a ready report, in a service that the
    refusals below share (none of them changes it)."""
    key = conservator(module_service, "Conservation office")
    call = pending_call(module_service)
    put_report_row(module_service, call["id"])
    return module_service, key, call["id"]


@pytest.mark.parametrize(
    "body",
    [
        {"decision": "maybe", "comment": ""},
        {"decision": "approve", "comment": "", "extra": 1},
        {"decision": "approve", "comment": 5},
        {"decision": "approve", "comment": "x" * 4001},
        {"decision": "approve", "comment": "a\x00b"},
        {"decision": "approve", "regions": [{"x": 0, "y": 0, "width": 0, "height": 5}]},
        {"decision": "approve", "regions": [{"x": -1, "y": 0, "width": 3, "height": 5}]},
        {
            "decision": "approve",
            "regions": [{"x": 0, "y": 0, "width": 3, "height": 5, "note": "n" * 501}],
        },
        {"decision": "approve", "regions": [{"x": 90, "y": 0, "width": 10, "height": 5}]},
        {"decision": "approve", "regions": [{"x": 0, "y": 0, "width": 3, "height": 5}] * 51},
        {"decision": "approve", "regions": [{"x": "1", "y": 0, "width": 3, "height": 5}]},
    ],
)
def test_bad_bodies_are_refused(
    ready_for_review: tuple[Service, str, int], body: dict[str, Any]
) -> None:
    service, key, call_id = ready_for_review
    stored = service.stored()
    refused = service.client.post(f"/v1/calls/{call_id}/review", headers=auth(key), json=body)
    assert refused.status_code == 422, refused.text
    assert _entries(service, "review.decided") == []
    assert service.stored() == stored
