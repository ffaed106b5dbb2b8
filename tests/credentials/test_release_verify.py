"""Verifying a released output: the service's record names the review, and agrees with
the log's review.decided entries; a copy that lost its manifest is found as the release."""

from tests.reviews.support import conservator, decide, pending_call, put_report_row
from tests.support.helpers import auth
from tests.support.label_helpers import reencoded, verify, without
from tests.support.service_fixture import Service


def test_a_released_file_verifies_with_its_review(service: Service) -> None:
    key = conservator(service, "Conservation office")
    call = pending_call(service)
    sha = put_report_row(service, call["id"])
    pending = service.client.get(call["output_url"], headers=auth(key)).content
    body = decide(service, key, call["id"]).json()
    released = service.client.get(call["output_url"], headers=auth(service.keys["regulator"]))

    report = verify(service, released.content).json()
    assert report["c2pa"]["state"] == "Trusted"
    assert report["c2pa"]["manifest_id"] == body["released"]["manifest_id"]
    assert report["ai_disclosure"]["ai_made"] is True
    assert report["conformance"]["eu_ai_act_art50"]["conformant"] is True
    record = report["record"]
    assert record["found_by"] == "manifest" and record["identical_to_output"] is True
    assert record["agrees_with_audit_log"] is True, record["checks"]
    checks = {c["name"]: c for c in record["checks"]}
    review = checks["review"]
    assert review["passed"] and review["detail"].startswith("released: approve by")
    assert f"entry {body['audit_index']}" in review["detail"] and sha in review["detail"]
    assert checks["manifest_names_review"]["passed"]
    # The implicit label is still the one issued for this output (its pixels are the same).
    assert report["implicit_labels"]["origin"]["verdict"] == "this_file"

    # Stripped of its manifest: found by its watermark, as the release.
    stripped = verify(service, without(released.content, b"caBX")).json()
    assert stripped["record"]["found_by"] == "watermark"
    assert stripped["record"]["manifestId"] == body["released"]["manifest_id"]
    assert stripped["record"]["recovered_manifest"]["state"] == "Trusted"
    assert stripped["record"]["agrees_with_audit_log"] is True
    # Re-encoded pixels: the same.
    copy = verify(service, reencoded(released.content)).json()
    assert copy["record"]["manifestId"] == body["released"]["manifest_id"]

    # The pending file, kept by its reviewer: its own manifest, with the review named.
    earlier = verify(service, pending).json()
    assert earlier["record"]["manifestId"] != body["released"]["manifest_id"]
    names = {c["name"]: c["passed"] for c in earlier["record"]["checks"]}
    assert names["review"] is True and "manifest_names_review" not in names


def test_a_forged_review_in_the_log_is_seen(service: Service) -> None:
    """A row changed behind the service's back (status) no longer agrees with the log."""
    from sqlmodel import Session

    from governance.calls.models import ModelCall
    from governance.calls.status import CallStatus

    key = conservator(service, "Conservation office")
    call = pending_call(service)
    put_report_row(service, call["id"])
    decide(service, key, call["id"], "approve")
    released = service.client.get(call["output_url"], headers=auth(service.keys["admin"])).content
    with Session(service.app.state.services.engine) as session:
        row = session.get(ModelCall, call["id"])
        assert row is not None
        # Still served (pending review is served to admins), but the log says released.
        row.status = CallStatus.PENDING_REVIEW
        session.add(row)
        session.commit()
    report = verify(service, released).json()
    assert report["record"] is None  # regulators are not served a pending output
    admin = service.client.post(
        "/v1/verify",
        headers=auth(service.keys["admin"]),
        files={"file": ("f.png", released, "image/png")},
    ).json()
    checks = {c["name"]: c["passed"] for c in admin["record"]["checks"]}
    assert checks["review"] is False and admin["record"]["agrees_with_audit_log"] is False
