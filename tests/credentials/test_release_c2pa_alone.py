"""A released output checked by c2pa-python alone, as an outside verifier would: the
service's published root as the only anchor, nothing of this project's code."""

import io
import json
from typing import Any

import c2pa

from tests.reviews.support import conservator, decide, pending_call, put_report_row
from tests.support.helpers import auth
from tests.support.service_fixture import Service

COMPOSITE = "http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia"


def _store(data: bytes, anchors: str) -> tuple[str, dict[str, Any]]:
    settings: dict[str, Any] = {
        "verify": {"remote_manifest_fetch": False},
        "trust": {"trust_anchors": anchors},
    }
    with (
        c2pa.Context.from_dict(settings) as context,
        c2pa.Reader("image/png", io.BytesIO(data), context=context) as reader,
    ):
        return reader.get_validation_state(), json.loads(reader.json())


def test_the_release_is_trusted_names_the_review_and_keeps_the_pending_manifest(
    service: Service,
) -> None:
    key = conservator(service, "Conservation office")
    call = pending_call(service)
    sha = put_report_row(service, call["id"])
    pending = service.client.get(call["output_url"], headers=auth(key)).content
    decided = decide(service, key, call["id"])
    assert decided.status_code == 201, decided.text
    body = decided.json()
    released = service.client.get(call["output_url"], headers=auth(service.keys["regulator"]))
    root = service.client.get("/v1/labels/ca.pem").text

    state, store = _store(released.content, root)
    assert state == "Trusted"
    active = store["manifests"][store["active_manifest"]]
    assert store["active_manifest"] == body["released"]["manifest_id"]
    review = next(
        a["data"] for a in active["assertions"] if a["label"] == "org.provenance-governance.review"
    )
    assert review["call_id"] == call["id"] and review["report_sha256"] == sha
    assert review["status"] == "released" and review["approvals_needed"] == 1
    assert [(d["reviewer"], d["decision"], d["audit_index"]) for d in review["decisions"]] == [
        ("Conservation office", "approve", body["audit_index"])
    ]
    actions = next(
        a["data"]["actions"] for a in active["assertions"] if a["label"].startswith("c2pa.actions")
    )
    assert [a["action"] for a in actions] == ["c2pa.opened", "c2pa.published"]
    assert actions[0]["digitalSourceType"] == COMPOSITE
    # The parent is the pending output, with its own manifest kept inside the store.
    [parent] = active["ingredients"]
    assert parent["relationship"] == "parentOf"
    _, pending_store = _store(pending, root)
    assert parent["active_manifest"] == pending_store["active_manifest"]
    assert pending_store["active_manifest"] in store["manifests"]
    deltas = store["validation_results"].get("ingredientDeltas") or []
    assert all(not d["validationDeltas"]["failure"] for d in deltas)
