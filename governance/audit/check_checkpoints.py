"""Signed checkpoints in `audit check`: each stored one's note against its row and the
log's key, and each one, stored or kept outside the database, against the root of the
entries at its size."""

from collections.abc import Callable, Sequence
from typing import NamedTuple

from governance.audit.log import AuditLog
from governance.audit.notes import Checkpoint, NoteError, open_checkpoint, sign_checkpoint


class Stored(NamedTuple):
    size: int
    root_hash: bytes
    note: str


class KeySignatures:
    """Whether a note is byte for byte the one the log's key makes for a checkpoint.

    Ed25519 signs deterministically (RFC 8032), so re-signing the body with the log's key
    through the cryptography library and comparing bytes proves the note valid at the cost
    of one signature (verifying costs about three times as much). A note that differs is
    verified in full, and named, by `open_checkpoint`. Re-signing is kept rather than an
    arithmetic shortcut on the key's scalar: an auditor's check stays standard code."""

    def __init__(self, audit: AuditLog) -> None:
        self._audit = audit

    def made_it(self, note: str, size: int, root: bytes) -> bool:
        audit = self._audit
        return note == sign_checkpoint(audit.origin, size, root, audit.key_name, audit.key)


class Checkpoints:
    """Checks checkpoints as the stream of entries reaches their size; problems go to
    `note`, in the order the sizes are reached."""

    def __init__(self, audit: AuditLog, kept: Sequence[str], note: Callable[[str], None]) -> None:
        self._audit, self._note = audit, note
        self._keys = KeySignatures(audit)
        self.last: int | None = None  # the largest size a stored checkpoint signs
        self.kept = self._open_kept(kept)

    def stored(self, row: Stored, size: int, root: bytes) -> None:
        """Check a stored checkpoint against the entries: `size` of them, with `root`."""
        self.last = max(self.last or 0, row.size)
        made = self._keys.made_it(row.note, row.size, row.root_hash)
        signed = (row.size, row.root_hash) if made else self._opened(row)
        if signed is not None:
            self._against(f"checkpoint at size {row.size}", *signed, size, root)

    def kept_at(self, size: int, root: bytes) -> None:
        for where, signed in self.kept.pop(size, []):
            self.against(where, signed, size, root)

    def against(self, where: str, signed: Checkpoint, size: int, root: bytes) -> None:
        self._against(where, signed.size, signed.root, size, root)

    def _against(self, where: str, signs: int, signed_root: bytes, size: int, root: bytes) -> None:
        if signs > size:
            self._note(
                f"{where}: it signs {signs} entries, the log has {size} "
                "(rows deleted or entries cut off)"
            )
        elif root != signed_root:
            self._note(
                f"{where}: the entries no longer hash to the signed root "
                "(rows altered, inserted or reordered)"
            )

    def _opened(self, row: Stored) -> tuple[int, bytes] | None:
        where = f"checkpoint at size {row.size}"
        try:
            signed = open_checkpoint(row.note, self._audit.verifier_key)
        except NoteError as exc:
            self._note(f"{where}: {exc}")
            return None
        if (row.size, row.root_hash) != (signed.size, signed.root):
            self._note(f"{where}: the stored row disagrees with its signed note")
            return None
        return signed.size, signed.root

    def _open_kept(self, kept: Sequence[str]) -> dict[int, list[tuple[str, Checkpoint]]]:
        """Kept checkpoints by the size they sign, to compare as the stream reaches it."""
        by_size: dict[int, list[tuple[str, Checkpoint]]] = {}
        for number, note in enumerate(kept, start=1):
            try:
                signed = open_checkpoint(note, self._audit.verifier_key)
            except NoteError as exc:
                self._note(f"kept checkpoint {number}: {exc}")
                continue
            by_size.setdefault(signed.size, []).append((f"kept checkpoint {number}", signed))
        return by_size
