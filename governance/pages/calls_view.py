"""A call's page (/ui/calls/{id}): its record as GET /v1/calls/{id} answers it, to the
same roles, with each stage in words, its report's state, its decisions, and the images
the reader's role is served (the output as GET /v1/calls/{id}/output serves it; the input,
mask and changed-pixel map as the report's files are served)."""

import json
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from governance.auth.models import Role
from governance.auth.service import Principal
from governance.calls import service as calls
from governance.calls.schemas import CallOut
from governance.calls.status import keeps_output, may_read_output
from governance.errors import GovernError
from governance.pages.calls_words import OUTCOMES, STATUSES, TITLES, evidence_words
from governance.reports import service as reports
from governance.reports.errors import ReportNotFound
from governance.reviews import queue
from governance.reviews.schemas import ReviewOut
from governance.services import Services

RESTORATION_REPORT = "restoration-report/1"
# The report's files this page shows, and what each is, for its alt text.
REPORT_IMAGES = (
    ("input.png", "The damaged input, as received"),
    ("mask.png", "The mask: white marks the damaged pixels"),
    (
        "changed.png",
        "Changed pixels: blue inside the mask, yellow outside it within the watermark's "
        "levels, red outside beyond them",
    ),
)


@dataclass(frozen=True)
class StageView:
    number: int
    name: str
    title: str
    outcome: str
    outcome_words: str
    duration_ms: float | None
    reasons: list[str]  # "code: detail"
    words: list[str]
    evidence_version: object
    raw: str  # the recorded evidence, as JSON


@dataclass(frozen=True)
class Image:
    url: str
    alt: str
    caption: str


@dataclass(frozen=True)
class ReportView:
    state: str  # queued, running, ready, failed
    detail: str  # in words: what the state means, or why it failed
    page_url: str | None  # the report for people, once ready
    schema: str | None  # the ready report's kind and version


@dataclass(frozen=True)
class CallPage:
    call: CallOut
    status_words: str
    created_at: datetime
    stages: list[StageView]
    reasons: list[str]
    report: ReportView | None
    images: list[Image]
    output_note: str | None  # why the output is not shown, when it is not
    reviews: list[ReviewOut]
    approvals: int
    approvals_needed: int
    may_review: bool  # a conservator, on a pending call: the review page is theirs


def call_page(session: Session, services: Services, principal: Principal, call_id: int) -> CallPage:
    call = calls.get_call(session, principal, call_id)
    report = report_view(session, services, principal, call)
    decided = queue.call_reviews(session, services, principal, call_id)
    images, note = _images(principal, call, report)
    return CallPage(
        call=call,
        status_words=STATUSES.get(call.status.value, call.status.value),
        created_at=call.created_at,
        stages=[_stage(number, stage) for number, stage in enumerate(call.stages, start=1)],
        reasons=[f"{r.get('code')}: {r.get('detail')}" for r in call.reasons],
        report=report,
        images=images,
        output_note=note,
        reviews=decided.reviews,
        approvals=decided.approvals,
        approvals_needed=decided.approvals_needed,
        may_review=principal.role is Role.CONSERVATOR and call.status.value == "pending_review",
    )


def _stage(number: int, stage: dict[str, object]) -> StageView:
    name = str(stage.get("name"))
    outcome = str(stage.get("outcome"))
    reasons = stage.get("reasons")
    duration = stage.get("duration_ms")
    return StageView(
        number=number,
        name=name,
        title=TITLES.get(name, name.replace("_", " ")),
        outcome=outcome,
        outcome_words=OUTCOMES.get(outcome, outcome),
        duration_ms=float(duration) if isinstance(duration, int | float) else None,
        reasons=[
            f"{r.get('code')}: {r.get('detail')}"
            for r in (reasons if isinstance(reasons, list) else [])
            if isinstance(r, dict)
        ],
        words=evidence_words(name, stage.get("evidence_version"), stage.get("evidence")),
        evidence_version=stage.get("evidence_version"),
        raw=json.dumps(stage.get("evidence"), indent=2, sort_keys=True, ensure_ascii=False),
    )


STATE_WORDS = {
    "queued": "Queued: a report worker will build it shortly.",
    "running": "Running: a report worker is building it now.",
    "ready": "Ready.",
}


def report_view(
    session: Session, services: Services, principal: Principal, call: CallOut
) -> ReportView | None:
    """The report's state as GET /v1/calls/{id}/report serves it: a call with none
    served (a generation without one, a blocked or rejected call) has None."""
    try:
        served = reports.get_report(session, services, principal, call.id)
    except ReportNotFound:
        return None
    except GovernError as exc:  # failed: the sentence says why, and that an admin may retry
        return ReportView("failed", exc.detail, None, None)
    if served.status is not None:
        state = served.status.state.value
        return ReportView(state, STATE_WORDS.get(state, state), None, None)
    assert served.data is not None
    schema = json.loads(served.data).get("schema")
    return ReportView(
        "ready",
        STATE_WORDS["ready"],
        f"/ui/calls/{call.id}/report",
        str(schema) if schema else None,
    )


def _images(
    principal: Principal, call: CallOut, report: ReportView | None
) -> tuple[list[Image], str | None]:
    found: list[Image] = []
    if report is not None and report.state == "ready" and report.schema == RESTORATION_REPORT:
        for name, words in REPORT_IMAGES:
            found.append(
                Image(
                    f"/ui/calls/{call.id}/report/files/{name}", f"{words} (call {call.id})", words
                )
            )
    note = None
    if call.output_sha256 and may_read_output(principal.role, call.status):
        found.append(
            Image(f"/ui/calls/{call.id}/output", f"The output of call {call.id}", "Output")
        )
    elif keeps_output(call.status):
        note = (
            f"The output of a {call.status.value.replace('_', ' ')} call is not served to "
            f"the role {principal.role.value.replace('_', ' ')}."
        )
    else:
        note = f"A {call.status.value} call has no output to serve."
    if call.kind == "restoration" and report is not None and report.state != "ready":
        later = (
            "The input, the mask and the changed-pixel map are shown from the report once "
            "it is ready."
        )
        note = f"{note} {later}" if note else later
    return found, note
