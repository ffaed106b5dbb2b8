"""Creating API keys and resolving a presented key to the principal it stands for."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, func, or_, select

from governance.audit.entries import KeyCreated, KeyRevoked
from governance.audit.log import AuditLog
from governance.auth.models import ApiKey, Role
from governance.errors import (
    DuplicateHolder,
    Forbidden,
    HolderNotFound,
    InvalidApiKey,
    InvalidInput,
    MissingApiKey,
    NotFound,
)
from rights.models import RightsHolder, utcnow
from rights.registry import holder_by_name

KEY_PREFIX = "gov_"


@dataclass(frozen=True)
class Principal:
    """Who is acting. `actor` names it in records: stable, never the secret."""

    actor: str
    name: str
    role: Role
    holder_id: int | None


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_key(
    session: Session,
    audit: AuditLog,
    role: str,
    name: str | None = None,
    *,
    holder: str | None = None,
    actor: str = "cli",
) -> tuple[ApiKey, str]:
    """A new key; the plaintext is returned once and never stored.

    Exactly one of `name` and `holder` says whom the key is for: `name` a new holder,
    refused if one of that name exists; `holder` an existing one (a rights holder or the
    name of other keys, whatever their role), refused if there is none. Both are
    explicit because a shared holder silently, or a typo making a new one, goes unseen.
    A rights holder's key also belongs to the rights holder of that name.
    """
    try:
        parsed_role = Role(role)
    except ValueError:
        roles = ", ".join(r.value for r in Role)
        raise InvalidInput(f"unknown role '{role}'; roles are: {roles}") from None
    if (name is None) == (holder is None):
        raise InvalidInput("give either --name (a new holder) or --holder (an existing one)")
    wanted = (name if name is not None else holder or "").strip()
    if not wanted or len(wanted) > 200 or "\x00" in wanted:
        raise InvalidInput("a holder needs a name of 1 to 200 characters, without NUL")
    # Under the append lock: two keys made at once cannot both make the same new holder.
    audit.lock(session)
    existing = _holder_names(session, wanted)
    if name is not None and existing:
        raise DuplicateHolder(
            f"a holder named '{existing[0]}' exists already; "
            f"add a key to it with --holder '{existing[0]}'"
        )
    if holder is not None and wanted not in existing:
        hint = f" (did you mean '{existing[0]}'?)" if existing else ""
        raise HolderNotFound(
            f"there is no holder named '{wanted}'{hint}; make a new one with --name"
        )
    holder_id = None
    if parsed_role is Role.RIGHTS_HOLDER:
        found = holder_by_name(session, wanted)
        assert found is not None
        holder_id = found.id
    plaintext = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(
        name=wanted, role=parsed_role.value, key_sha256=_digest(plaintext), holder_id=holder_id
    )
    session.add(key)
    session.flush()
    audit.record(
        session,
        f"key:{key.id}",
        actor,
        KeyCreated(name=key.name, role=key.role, holder_id=key.holder_id),
    )
    return key, plaintext


def _holder_names(session: Session, name: str) -> list[str]:
    """Holders whose name is `name` up to case: key names and rights holders."""
    lowered = name.casefold()
    names: set[str] = set()
    for column in (col(ApiKey.name), col(RightsHolder.name)):
        # Exact too: SQLite's lower() leaves letters outside ASCII as they are.
        matching = or_(column == name, func.lower(column) == name.lower())
        names |= set(session.exec(select(column).where(matching)))
    # The exact spelling first; SQL lower() and casefold() differ outside ASCII.
    return sorted((n for n in names if n.casefold() == lowered), key=lambda n: (n != name, n))


@dataclass(frozen=True)
class KeyListing:
    """A key as listed: never its secret, nor its hash."""

    id: int
    name: str
    role: str
    holder: str | None
    created_at: datetime
    revoked_at: datetime | None


def list_keys(session: Session) -> list[KeyListing]:
    query = (
        select(ApiKey, RightsHolder.name)
        .join(RightsHolder, col(RightsHolder.id) == col(ApiKey.holder_id), isouter=True)
        .order_by(col(ApiKey.id))
    )
    listed = []
    for key, holder_name in session.exec(query):
        assert key.id is not None
        listed.append(
            KeyListing(key.id, key.name, key.role, holder_name, key.created_at, key.revoked_at)
        )
    return listed


def revoke_key(session: Session, audit: AuditLog, key_id: int, actor: str = "cli") -> ApiKey:
    key = session.get(ApiKey, key_id)
    if key is None:
        raise NotFound(f"there is no key {key_id}")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        session.add(key)
        session.flush()
        audit.record(session, f"key:{key_id}", actor, KeyRevoked(name=key.name))
    return key


def authenticate(session: Session, authorization: str | None) -> Principal:
    if not authorization:
        raise MissingApiKey("send 'Authorization: Bearer <key>'")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise InvalidApiKey("the Authorization header must be 'Bearer <key>'")
    key = session.exec(select(ApiKey).where(ApiKey.key_sha256 == _digest(token.strip()))).first()
    if key is None or key.id is None:
        raise InvalidApiKey("the API key is not known")
    if key.revoked_at is not None:
        raise InvalidApiKey("the API key has been revoked")
    return principal_of(key)


def principal_of(key: ApiKey) -> Principal:
    return Principal(
        actor=f"key:{key.id}", name=key.name, role=Role(key.role), holder_id=key.holder_id
    )


def require_role(principal: Principal, *roles: Role) -> None:
    if principal.role not in roles:
        allowed = ", ".join(r.value for r in roles)
        raise Forbidden(f"this needs one of the roles: {allowed}; the key is '{principal.role}'")
