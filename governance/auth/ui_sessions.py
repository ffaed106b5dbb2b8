"""Web page sessions: an API key exchanged for a cookie that expires, and the form token
every post of that session carries (CSRF). The pages act as the key's principal, under
the same rules as the API; a revoked key ends its sessions at their next request."""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import Session, select

from governance.auth.models import ApiKey, UiSession
from governance.auth.service import Principal, authenticate, principal_of
from governance.db import begin_write
from governance.errors import FormTokenRefused, SignInRequired
from rights.models import utcnow


@dataclass(frozen=True)
class SignedIn:
    token: str  # the cookie's value; only its digest is stored
    csrf_token: str
    max_age_seconds: int


@dataclass(frozen=True)
class PageCaller:
    principal: Principal
    csrf_token: str


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def sign_in(session: Session, key: str, minutes: int) -> SignedIn:
    """A new session for `key`, refused as the API refuses the key (InvalidApiKey)."""
    principal = authenticate(session, f"Bearer {key.strip()}")
    key_id = int(principal.actor.removeprefix("key:"))
    begin_write(session)
    token, csrf_token = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    session.add(
        UiSession(
            token_sha256=_digest(token),
            key_id=key_id,
            csrf_token=csrf_token,
            expires_at=utcnow() + timedelta(minutes=minutes),
        )
    )
    session.flush()
    return SignedIn(token, csrf_token, minutes * 60)


def _live(session: Session, token: str | None) -> tuple[UiSession, ApiKey]:
    if not token:
        raise SignInRequired("sign in with an API key")
    row = session.exec(select(UiSession).where(UiSession.token_sha256 == _digest(token))).first()
    if row is None or row.ended_at is not None:
        raise SignInRequired("the session has ended; sign in again")
    if row.expires_at <= utcnow():
        raise SignInRequired("the session has expired; sign in again")
    key = session.get(ApiKey, row.key_id)
    if key is None or key.revoked_at is not None:
        raise SignInRequired("the session's API key has been revoked")
    return row, key


def page_caller(session: Session, token: str | None) -> PageCaller:
    """Who a page request acts as, from its session cookie."""
    row, key = _live(session, token)
    return PageCaller(principal_of(key), row.csrf_token)


def check_form_token(caller: PageCaller, sent: str | None) -> None:
    """A post is the session's own only if it carries the session's form token."""
    if not sent or not hmac.compare_digest(sent.encode(), caller.csrf_token.encode()):
        raise FormTokenRefused(
            "the form did not carry this session's form token: reload the page and try again"
        )


def sign_out(session: Session, token: str | None) -> None:
    """End the session (an unknown or ended one is left as it is)."""
    if not token:
        return
    begin_write(session)
    row = session.exec(select(UiSession).where(UiSession.token_sha256 == _digest(token))).first()
    if row is not None and row.ended_at is None:
        row.ended_at = utcnow()
        session.add(row)
