"""A released call, end to end: its report made by the job reproduces after the release
(which names a new output file), its evidence bundle verifies offline, and audit check
finds nothing to say. Each of these once compared with the released file instead of
the call's own output."""

from governance.audit.check_run import check_everything
from governance.audit.verify_evidence import verify_evidence
from governance.reports.consumer import run_pending
from governance.reports.verify import verify_report
from tests.evidence.support import evidence, members
from tests.reports.helpers import restoration, restorer
from tests.reviews.support import decide
from tests.support.service_fixture import Service


def test_a_released_call_reproduces_verifies_and_reconciles(service: Service) -> None:
    services = service.app.state.services
    call = restoration(service, restorer(service))
    assert run_pending(services, timeout=120).ready == [call["id"]]
    decided = decide(service, service.keys["conservator"], call["id"], comment="faithful")
    assert decided.status_code == 201, decided.text
    assert decided.json()["status"] == "released"
    released = service.client.get(
        f"/v1/calls/{call['id']}", headers={"Authorization": f"Bearer {service.keys['auditor']}"}
    ).json()
    assert released["output_sha256"] != call["output_sha256"]

    comparison = verify_report(services, call["id"])
    assert comparison.ok, comparison.differences

    bundle = evidence(service, call["id"])
    assert bundle.status_code == 200, bundle.text
    checks = verify_evidence(members(bundle.content), services.audit.verifier_key)
    assert any("review.decided" in line for line in checks)

    report = check_everything(services.engine, services.audit)
    assert report.problems == [], report.problems
