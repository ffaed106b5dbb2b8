"""A conservator's decision from the review page: the form's fields made into the body
POST /v1/calls/{id}/review takes, decided by the same function; a refusal is the review
page again with the API's status, code and sentence."""

import re
from typing import Any

from pydantic import ValidationError
from sqlmodel import Session

from governance.auth.service import Principal
from governance.errors import GovernError
from governance.pages.calls_refusal import Refusal, attempt, invalid_request
from governance.pages.reviews import DecisionForm, RegionRow, ReviewPage, review_page
from governance.reviews import decide as decisions
from governance.reviews.schemas import ReviewIn
from governance.services import Services

NUMBER = re.compile(r"-?\d{1,20}")


def _number(typed: str) -> int | str:
    # Digits become a number; anything else is left as typed, for validation to refuse
    # with the API's sentence.
    typed = typed.strip()
    return int(typed) if NUMBER.fullmatch(typed) else typed


def review_body(form: DecisionForm) -> dict[str, Any]:
    """The JSON body of POST /v1/calls/{id}/review; rows left blank are no region."""
    return {
        "decision": form.decision,
        "comment": form.comment,
        "regions": [
            {
                "x": _number(row.x),
                "y": _number(row.y),
                "width": _number(row.width),
                "height": _number(row.height),
                "note": row.note,
            }
            for row in form.regions
            if not row.blank()
        ],
    }


def decide_on(
    session: Session, services: Services, principal: Principal, call_id: int, form: DecisionForm
) -> int | ReviewPage:
    """The decided call's id, or its review page again with the refusal."""

    def decide() -> int:
        try:
            body = ReviewIn.model_validate(review_body(form))
        except ValidationError as exc:
            raise invalid_request(exc) from None
        return decisions.decide(session, services, principal, call_id, body).call_id

    decided = attempt(session, decide)
    if not isinstance(decided, Refusal):
        return decided
    kept = form if form.regions else DecisionForm(form.decision, form.comment, [RegionRow()])
    try:
        return review_page(session, services, principal, call_id, kept, decided)
    except GovernError:
        # A key that may not read the review page (an operator's) is answered with the
        # decision's own refusal, as POST /v1/calls/{id}/review answers it.
        raise decided.error from None
