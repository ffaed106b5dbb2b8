"""Creating API keys and resolving a presented key to the principal it stands for."""

import hashlib
import secrets
from dataclasses import dataclass

from sqlmodel import Session, select

from governance.audit.entries import KeyCreated, KeyRevoked
from governance.audit.log import AuditLog
from governance.auth.models import ApiKey, Role
from governance.errors import Forbidden, InvalidApiKey, InvalidInput, MissingApiKey, NotFound
from rights.models import utcnow
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
    name: str,
    holder: str | None = None,
    actor: str = "cli",
) -> tuple[ApiKey, str]:
    """A new key; the plaintext is returned once and never stored.

    A rights holder's key belongs to a holder: `holder` names it (created when new),
    defaulting to the key's own name.
    """
    try:
        parsed_role = Role(role)
    except ValueError:
        roles = ", ".join(r.value for r in Role)
        raise InvalidInput(f"unknown role '{role}'; roles are: {roles}") from None
    name = name.strip()
    if not name or len(name) > 200 or "\x00" in name or "\x00" in (holder or ""):
        raise InvalidInput("a key needs a name of 1 to 200 characters, without NUL")
    holder_id = None
    if parsed_role is Role.RIGHTS_HOLDER:
        found = holder_by_name(session, (holder or name).strip())
        assert found is not None
        holder_id = found.id
    elif holder is not None:
        raise InvalidInput("only rights_holder keys belong to a holder")
    plaintext = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(
        name=name, role=parsed_role.value, key_sha256=_digest(plaintext), holder_id=holder_id
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
    return Principal(
        actor=f"key:{key.id}", name=key.name, role=Role(key.role), holder_id=key.holder_id
    )


def require_role(principal: Principal, *roles: Role) -> None:
    if principal.role not in roles:
        allowed = ", ".join(r.value for r in roles)
        raise Forbidden(f"this needs one of the roles: {allowed}; the key is '{principal.role}'")
