"""`/v1/reviews` and `/v1/calls/{id}/review(s)`: the review queue and decisions."""

from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from governance.api.deps import PrincipalDep, ServicesDep, SessionDep
from governance.api.params import MAX_ID
from governance.reviews import decide as decisions
from governance.reviews import queue
from governance.reviews.schemas import CallReviews, DecisionOut, ReviewIn, ReviewQueue

router = APIRouter(prefix="/v1", tags=["reviews"])
CallId = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.get("/reviews", response_model=ReviewQueue)
def review_queue(
    session: SessionDep,
    services: ServicesDep,
    principal: PrincipalDep,
    limit: Annotated[int, Query(ge=1, description="calls per page")] = 50,
) -> ReviewQueue:
    """Outputs waiting for review, oldest first, with their flags and report state."""
    return queue.review_queue(session, services, principal, limit)


@router.post(
    "/calls/{call_id:int}/review", status_code=status.HTTP_201_CREATED, response_model=DecisionOut
)
def decide(
    session: SessionDep,
    services: ServicesDep,
    principal: PrincipalDep,
    call_id: CallId,
    body: ReviewIn,
) -> DecisionOut:
    """A conservator's decision on a pending output, made on its ready report."""
    return decisions.decide(session, services, principal, call_id, body)


@router.get("/calls/{call_id:int}/reviews", response_model=CallReviews)
def call_reviews(
    session: SessionDep, services: ServicesDep, principal: PrincipalDep, call_id: CallId
) -> CallReviews:
    """The decisions on a call, in order."""
    return queue.call_reviews(session, services, principal, call_id)
