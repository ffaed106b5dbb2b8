"""The conservator's pages: the review queue (/ui/reviews, as GET /v1/reviews answers it)
and one call's review (/ui/reviews/{id}): its images side by side, the report's maps,
faithfulness figures and uncertainty in words, the decisions so far and, for a
conservator on a pending call, the decision form."""

import json
from dataclasses import dataclass, field

from pydantic import ValidationError
from sqlmodel import Session

from explain.schemas import HowSure, RestorationReport, WhatChanged
from governance.auth.models import Role
from governance.auth.service import Principal, require_role
from governance.calls import service as calls
from governance.calls.schemas import CallOut
from governance.calls.status import CallStatus, keeps_output, may_read_output
from governance.pages.calls_refusal import Refusal
from governance.pages.calls_view import RESTORATION_REPORT, ReportView, report_view
from governance.pages.calls_words import STATUSES
from governance.pages.reviews_words import Faithfulness, faithfulness
from governance.reports import service as reports
from governance.reviews import queue
from governance.reviews.schemas import Flag, ReviewOut, ReviewQueue
from governance.services import Services


def review_queue_page(session: Session, services: Services, principal: Principal) -> ReviewQueue:
    """The pending calls, oldest first, as many as one page of the API holds."""
    return queue.review_queue(session, services, principal, services.settings.page_size_max)


@dataclass(frozen=True)
class RegionRow:
    """A region as the form holds it: typed text, checked when decided."""

    x: str = ""
    y: str = ""
    width: str = ""
    height: str = ""
    note: str = ""

    def blank(self) -> bool:
        return not any(v.strip() for v in (self.x, self.y, self.width, self.height, self.note))


@dataclass(frozen=True)
class DecisionForm:
    decision: str = ""
    comment: str = ""
    regions: list[RegionRow] = field(default_factory=list)


@dataclass(frozen=True)
class ReviewImages:
    input: str | None
    mask: str | None
    output: str | None
    changed: str | None


@dataclass(frozen=True)
class Explained:
    """What a ready restoration report says, for people."""

    what_changed: WhatChanged
    recombines_exactly: bool
    decomposition: str
    target: str
    faithfulness: Faithfulness
    how_sure: HowSure
    limits: list[str]


@dataclass(frozen=True)
class ReviewPage:
    call: CallOut
    status_words: str
    flags: list[Flag]
    report: ReportView | None
    explained: Explained | None
    images: ReviewImages
    output_note: str | None  # why the output is not shown, when it is not
    held: bool  # pending, or decided on: a call that was held for review
    width: int | None  # the output's size, for the regions drawn on it
    height: int | None
    reviews: list[ReviewOut]
    approvals: int
    approvals_needed: int
    mine: ReviewOut | None  # this holder's decision, once made
    may_decide: bool
    form: DecisionForm
    refusal: Refusal | None = None


def review_page(
    session: Session,
    services: Services,
    principal: Principal,
    call_id: int,
    form: DecisionForm | None = None,
    refusal: Refusal | None = None,
) -> ReviewPage:
    """A call's review, to the roles that read the review queue."""
    require_role(principal, *queue.QUEUE_READERS)
    call = calls.get_call(session, principal, call_id)
    report = report_view(session, services, principal, call)
    explained = _explained(session, services, principal, call, report)
    decided = queue.call_reviews(session, services, principal, call_id)
    mine = next(
        (r for r in decided.reviews if r.reviewer.casefold() == principal.name.casefold()), None
    )
    base = f"/ui/calls/{call_id}/report/files/"
    has_files = explained is not None
    output, note = None, None
    if call.output_sha256 and may_read_output(principal.role, call.status):
        output = f"/ui/calls/{call_id}/output"
    elif keeps_output(call.status):
        note = f"The output of a {_words(call.status)} call is not served to your role."
    else:
        note = f"A {_words(call.status)} call has no output to serve."
    request = call.request
    width, height = request.get("width"), request.get("height")
    return ReviewPage(
        call=call,
        status_words=STATUSES.get(call.status.value, call.status.value),
        flags=queue.flags_of(call.stages),
        report=report,
        explained=explained,
        images=ReviewImages(
            input=base + "input.png" if has_files else None,
            mask=base + "mask.png" if has_files else None,
            output=output,
            changed=base + "changed.png" if has_files else None,
        ),
        output_note=note,
        held=call.status is CallStatus.PENDING_REVIEW or bool(decided.reviews),
        width=width if isinstance(width, int) else None,
        height=height if isinstance(height, int) else None,
        reviews=decided.reviews,
        approvals=decided.approvals,
        approvals_needed=decided.approvals_needed,
        mine=mine,
        may_decide=principal.role is Role.CONSERVATOR
        and call.status is CallStatus.PENDING_REVIEW
        and mine is None,
        form=form or DecisionForm(regions=[RegionRow()]),
        refusal=refusal,
    )


def _words(status: CallStatus) -> str:
    return status.value.replace("_", " ")


def _explained(
    session: Session,
    services: Services,
    principal: Principal,
    call: CallOut,
    report: ReportView | None,
) -> Explained | None:
    if report is None or report.state != "ready" or report.schema != RESTORATION_REPORT:
        return None
    served = reports.get_report(session, services, principal, call.id)
    assert served.data is not None
    try:
        parsed = RestorationReport.model_validate(json.loads(served.data))
    except ValidationError:
        # A report of this schema's name that does not read as it: its own page still
        # shows it, linked from here.
        return None
    return Explained(
        what_changed=parsed.what_changed,
        recombines_exactly=parsed.reversibility.recombines_exactly,
        decomposition=parsed.model.decomposition,
        target=parsed.why.target,
        faithfulness=faithfulness(parsed),
        how_sure=parsed.how_sure,
        limits=list(parsed.limits),
    )
