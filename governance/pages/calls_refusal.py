"""A refused form post: the API's status, code and sentence, shown on the form again.

The API undoes a refused request by raising: the request's session rolls back. A page
that shows its form again returns normally instead, so the session would commit what
the refused function had begun (kept uploads, a lock): `attempt` undoes it first.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from pydantic import ValidationError
from sqlmodel import Session

from governance.errors import GovernError, InvalidInput

T = TypeVar("T")


@dataclass(frozen=True)
class Refusal:
    status: int
    code: str
    detail: str
    # The refusal itself: the answer when the form's page cannot be shown to this key.
    error: GovernError = field(compare=False, repr=False)


class InvalidRequest(InvalidInput):
    """A form field of the wrong type, as the API's validation answers a JSON body."""

    code = "InvalidRequest"


def attempt(session: Session, action: Callable[[], T]) -> T | Refusal:
    """What `action` returns, or its refusal with everything it wrote rolled back."""
    try:
        return action()
    except GovernError as exc:
        session.rollback()
        return Refusal(exc.status, exc.code, exc.detail, exc)


def invalid_request(exc: ValidationError) -> InvalidRequest:
    """A form's fields refused as the API's validation handler words a body's: each
    `where: what`, joined by "; "."""
    parts = [
        f"{'.'.join(str(p) for p in error['loc']) or 'request'}: {error['msg']}"
        for error in exc.errors()
    ]
    return InvalidRequest("; ".join(parts))
