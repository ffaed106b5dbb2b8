"""Reading the log for auditors and regulators: checkpoints, entries, proofs."""

from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlmodel import Session, col, select

from governance.audit import log
from governance.audit.merkle import leaf_hash
from governance.audit.models import AuditEntry
from governance.audit.notes import b64
from governance.audit.schemas import (
    ConsistencyProof,
    EntryOut,
    EntryPage,
    InclusionProof,
    PublicKey,
)
from governance.auth.models import Role
from governance.auth.service import Principal, require_role
from governance.errors import EntryNotFound, InvalidInput, TreeSizeNotFound
from governance.services import Services

READERS = (Role.AUDITOR, Role.REGULATOR, Role.ADMIN)
MAX_PAGE = 1000


def signed_size(session: Session) -> int:
    """The size of the newest signed checkpoint: what proofs are given against by default."""
    latest = log.latest_checkpoint(session)
    return latest.size if latest else 0


def checkpoint_note(session: Session, services: Services, principal: Principal) -> str:
    require_role(principal, *READERS)
    return log.newest_note(session, services.audit)[0]


def public_key(services: Services) -> PublicKey:
    key = services.audit.key.public_key()
    pem = key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()
    return PublicKey(
        origin=services.audit.origin,
        key_name=services.audit.key_name,
        verifier_key=services.audit.verifier_key,
        public_key_pem=pem,
    )


def entry_out(row: AuditEntry) -> EntryOut:
    return EntryOut(
        index=row.idx,
        kind=row.kind,
        subject=row.subject,
        actor=row.actor,
        leaf_hash=b64(leaf_hash(row.entry)),
        entry=row.entry.decode(),
    )


def entries(
    session: Session, principal: Principal, start: int, end: int | None, subject: str | None
) -> EntryPage:
    """Entries [start, end) in log order. With a subject, the matching entries from `start`
    on (to `end` or the whole log), at most MAX_PAGE; the answer's `end` is where to go on."""
    require_role(principal, *READERS)
    size = signed_size(session)
    if start < 0 or (end is not None and end < start):
        raise InvalidInput("a range needs 0 <= start <= end")
    if start > size:
        raise EntryNotFound(f"the log has {size} entries; there is no entry {start}")
    if subject is None:
        stop = min(size, end if end is not None else start + 100)
        if stop - start > MAX_PAGE:
            raise InvalidInput(f"at most {MAX_PAGE} entries per request")
    else:
        stop = min(size, end) if end is not None else size
    query = select(AuditEntry).where(col(AuditEntry.idx) >= start, col(AuditEntry.idx) < stop)
    if subject is not None:
        query = query.where(AuditEntry.subject == subject)
    rows = list(session.exec(query.order_by(col(AuditEntry.idx)).limit(MAX_PAGE)))
    if subject is not None and len(rows) == MAX_PAGE:
        stop = rows[-1].idx + 1
    return EntryPage(entries=[entry_out(r) for r in rows], start=start, end=stop, tree_size=size)


def _tree_size(session: Session, requested: int | None) -> int:
    size = signed_size(session)
    if requested is None:
        return size
    if requested < 0:
        raise InvalidInput("a tree size is at least 0")
    if requested > size:
        raise TreeSizeNotFound(f"the log's newest checkpoint has size {size}, not {requested}")
    return requested


def inclusion(
    session: Session, principal: Principal, index: int, tree_size: int | None
) -> InclusionProof:
    require_role(principal, *READERS)
    size = _tree_size(session, tree_size)
    if index < 0:
        raise InvalidInput("an entry index is at least 0")
    if index >= size:
        raise EntryNotFound(f"a tree of size {size} has no entry {index}")
    leaf, root, proof = log.inclusion_with_root(session, index, size)
    return InclusionProof(
        index=index,
        tree_size=size,
        leaf_hash=b64(leaf),
        root_hash=b64(root),
        proof=[b64(h) for h in proof],
    )


def consistency(
    session: Session, principal: Principal, old: int, new: int | None
) -> ConsistencyProof:
    require_role(principal, *READERS)
    newest = signed_size(session)
    if old > newest:
        raise TreeSizeNotFound(f"the log's newest checkpoint has size {newest}, not {old}")
    size = _tree_size(session, new)
    if not 0 <= old <= size:
        raise InvalidInput(f"a consistency proof needs 0 <= from <= to (to is {size})")
    return ConsistencyProof(
        from_size=old,
        to_size=size,
        from_root=b64(log.root_at(session, old)),
        to_root=b64(log.root_at(session, size)),
        proof=[b64(h) for h in log.consistency_proof(session, old, size)],
    )
