"""A call's audit trail for its pages: every entry about the call (subject `call:N`) with
its RFC 9162 inclusion proof against the newest signed checkpoint, read through the
audit API's own functions and under its rule (auditors, regulators, admins).

The browser checks each proof itself (static/audit.js) against the root in the signed
note, so the page shows what the log proves, not what the service says it proves."""

import base64
import hashlib
import json

from pydantic import BaseModel, Field
from sqlmodel import Session

from governance.audit import log, merkle, notes
from governance.audit import service as audit
from governance.auth.service import Principal
from governance.calls.listing import require_call
from governance.services import Services

NOT_SHOWN = "the audit trail is read by auditors, regulators and admins"


class CheckpointView(BaseModel):
    origin: str
    size: int
    root_hash: str = Field(description="base64, as the note states it")
    note: str = Field(description="the signed note, byte for byte")
    signature: str = Field(description="the note's signature lines")
    signed_at: str | None = Field(description="ISO 8601; None for the empty log's note")
    # None: the service opened the note with its own key; else what is wrong with it.
    problem: str | None
    key_name: str
    key_id: str = Field(description="hex: the first 4 bytes of SHA-256(name, 0x0A, 0x01, key)")
    verifier_key: str = Field(description="what `govern audit verify --key` takes")
    public_key_sha256: str = Field(description="hex SHA-256 of the raw 32-byte Ed25519 key")


class TrailEntry(BaseModel):
    index: int
    kind: str
    actor: str
    at: str = Field(description="the time the entry states")
    leaf_hash: str = Field(description="base64 SHA-256(0x00 || entry), as the service computed it")
    entry: str = Field(description="base64 of the entry's exact bytes (RFC 8785 JSON)")
    proof: list[str] = Field(description="base64 sibling hashes, leaf first (RFC 9162 2.1.3.1)")


class CallAuditTrail(BaseModel):
    call_id: int
    subject: str
    checkpoint: CheckpointView
    entries: list[TrailEntry]


class TrailAnswer(BaseModel):
    """What /ui/calls/{id}/audit.json answers: the trail, or why the key sees none."""

    trail: CallAuditTrail | None
    detail: str | None


def checkpoint_view(session: Session, services: Services) -> CheckpointView:
    """The newest signed checkpoint (the empty log's, freshly signed, when none is stored)."""
    row = log.latest_checkpoint(session)
    note = row.note if row is not None else services.audit.empty_checkpoint()
    signature = note.partition("\n\n")[2]
    problem = None
    try:
        opened = notes.open_checkpoint(note, services.audit.verifier_key)
        size, root = opened.size, opened.root
    except notes.NoteError as exc:
        # Shown, not raised: an auditor's page is where a broken checkpoint should surface.
        problem = str(exc)
        size, root = (row.size, row.root_hash) if row is not None else (0, merkle.EMPTY_ROOT)
    public = notes.raw_public(services.audit.key.public_key())
    return CheckpointView(
        origin=services.audit.origin,
        size=size,
        root_hash=notes.b64(root),
        note=note,
        signature=signature.rstrip("\n"),
        signed_at=log.entry_time(row.created_at) if row is not None else None,
        problem=problem,
        key_name=services.audit.key_name,
        key_id=notes.key_id(services.audit.key_name, public).hex(),
        verifier_key=services.audit.verifier_key,
        public_key_sha256=hashlib.sha256(public).hexdigest(),
    )


def reads_trail(principal: Principal) -> bool:
    """Whether a call's page shows its audit trail to this key (the log's readers)."""
    return principal.role in audit.READERS


def call_audit_trail(
    session: Session, services: Services, principal: Principal, call_id: int
) -> CallAuditTrail | None:
    """The entries about call `call_id` below the newest checkpoint, each with its
    inclusion proof against it; None when the key's role may not read the log."""
    if not reads_trail(principal):
        return None
    require_call(session, call_id)
    checkpoint = checkpoint_view(session, services)
    size, subject = checkpoint.size, f"call:{call_id}"
    entries: list[TrailEntry] = []
    start = 0
    while start < size:
        # A page stops at MAX_PAGE matches; `end` says where the next one starts.
        page = audit.entries(session, principal, start, size, subject)
        for found in page.entries:
            proof = audit.inclusion(session, principal, found.index, size)
            data = found.entry.encode()
            entries.append(
                TrailEntry(
                    index=found.index,
                    kind=found.kind,
                    actor=found.actor,
                    at=_stated_time(data),
                    leaf_hash=found.leaf_hash,
                    entry=base64.b64encode(data).decode(),
                    proof=proof.proof,
                )
            )
        start = page.end
    return CallAuditTrail(call_id=call_id, subject=subject, checkpoint=checkpoint, entries=entries)


def _stated_time(entry: bytes) -> str:
    # The time the entry itself states (log.append writes it), which its leaf covers.
    value = json.loads(entry).get("at")
    return value if isinstance(value, str) else ""


def trail_answer(
    session: Session, services: Services, principal: Principal, call_id: int
) -> TrailAnswer:
    trail = call_audit_trail(session, services, principal, call_id)
    return TrailAnswer(trail=trail, detail=None if trail is not None else NOT_SHOWN)
