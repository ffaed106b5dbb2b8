"""A generation the screen flagged is decided on its ready report, as a restoration is."""

import io
import zipfile
from typing import Any

import pytest

from governance.audit.bundle_format import REPORT_FILES, REPORT_JSON
from governance.pipeline.stages import screen as screen_stage
from governance.reports.consumer import run_pending
from governance.reports.generation_schema import GenerationReport
from governance.works.nearcopy_schemas import MatchBand, MatchMethod, NearCopyOut
from tests.reports.generation_helpers import (
    ASTRONAUT_SEED,
    REFUSED,
    generation,
    generator,
    get,
    work,
)
from tests.reports.helpers import report_row
from tests.reviews.support import conservator, decide
from tests.support.service_fixture import Service


def test_a_flagged_generation_is_decided_on_its_report(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    refusing = work(service, "bob", "brick", "brick by bob", REFUSED)
    # The screen's answer given (as tests/pipeline/test_screen_stage_rules.py does): a
    # partial resemblance to a work whose terms refuse generative use flags the call.
    flagged = NearCopyOut(
        work_id=refusing,
        score=10 / 22,
        method=MatchMethod.LOCAL_FEATURES,
        band=MatchBand.REVIEW,
        inliers=10,
        transform=None,
        altered=None,
        altered_fraction=None,
        altered_regions=[],
    )

    def found(*_: Any, **__: Any) -> list[NearCopyOut]:
        return [flagged]

    monkeypatch.setattr(screen_stage, "find_near_copies", found)
    call_id = generation(service, generator(service, "rocket"), ASTRONAUT_SEED)
    monkeypatch.undo()
    key = conservator(service, "c")
    early = decide(service, key, call_id)
    assert early.status_code == 409 and early.json()["error"] == "ReportNotReady"

    services = service.app.state.services
    assert run_pending(services, timeout=120).ready == [call_id]
    report = GenerationReport.model_validate_json(
        get(service, f"/v1/calls/{call_id}/report").content
    )
    # The work the screen flagged stays listed with what the screen said, and what the
    # report measures of the stored output now: an astronaut is no brick wall.
    [listed] = report.works.listed
    assert listed.work_id == refusing and listed.band == "below"
    assert listed.at_call is not None and listed.at_call.decision == "flagged"
    assert not listed.terms.allows_generative_use
    assert listed.reading.startswith("Listed by the call's own screen")

    answer = decide(service, key, call_id)
    assert answer.status_code == 201, answer.text
    assert answer.json()["report_sha256"] == report_row(service, call_id).report_sha256
    assert get(service, f"/v1/calls/{call_id}", "operator").json()["status"] == "released"

    # The call's evidence bundle carries the report as served, and its page.
    bundle = get(service, f"/v1/calls/{call_id}/evidence")
    assert bundle.status_code == 200, bundle.text
    with zipfile.ZipFile(io.BytesIO(bundle.content)) as members:
        assert members.read(REPORT_JSON) == get(service, f"/v1/calls/{call_id}/report").content
        page = members.read(REPORT_FILES + "report.html")
    assert page == get(service, f"/v1/calls/{call_id}/report.html").content
