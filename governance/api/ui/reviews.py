"""/ui/reviews and /ui/reviews/{id}: the conservator's queue, a call's review with its
report in words, and the decision, through the API's own service functions and rules."""

from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from governance.api.deps import ServicesDep, SessionDep
from governance.api.params import MAX_ID
from governance.api.ui.deps import CallerDep, FormCallerDep
from governance.api.ui.render import page
from governance.pages import reviews, reviews_decide
from governance.pages.reviews import DecisionForm, RegionRow

router = APIRouter()
CallId = Annotated[int, Path(ge=1, le=MAX_ID)]
Rows = Annotated[list[str] | None, Form()]


@router.get("/reviews", response_class=HTMLResponse)
def review_queue(
    request: Request, session: SessionDep, services: ServicesDep, caller: CallerDep
) -> HTMLResponse:
    view = reviews.review_queue_page(session, services, caller.principal)
    return page(request, "reviews_queue.html", caller, view=view)


@router.get("/reviews/{call_id:int}", response_class=HTMLResponse)
def review(
    request: Request, session: SessionDep, services: ServicesDep, caller: CallerDep, call_id: CallId
) -> HTMLResponse:
    view = reviews.review_page(session, services, caller.principal, call_id)
    return page(request, "reviews_review.html", caller, view=view, call_id=call_id)


@router.post("/reviews/{call_id:int}", response_model=None)
def decide(
    request: Request,
    session: SessionDep,
    services: ServicesDep,
    caller: FormCallerDep,
    call_id: CallId,
    decision: Annotated[str, Form()] = "",
    comment: Annotated[str, Form()] = "",
    region_x: Rows = None,
    region_y: Rows = None,
    region_width: Rows = None,
    region_height: Rows = None,
    region_note: Rows = None,
) -> Response:
    columns = [c or [] for c in (region_x, region_y, region_width, region_height, region_note)]
    count = max(len(c) for c in columns)
    # Each row's fields come in the form's order; a missing one is blank (and refused).
    rows = [RegionRow(*(c[i] if i < len(c) else "" for c in columns)) for i in range(count)]
    form = DecisionForm(decision=decision, comment=comment, regions=rows)
    decided = reviews_decide.decide_on(session, services, caller.principal, call_id, form)
    if isinstance(decided, int):
        return RedirectResponse(f"/ui/reviews/{decided}#decision", status_code=303)
    status = decided.refusal.status if decided.refusal is not None else 200
    return page(
        request, "reviews_review.html", caller, status_code=status, view=decided, call_id=call_id
    )
