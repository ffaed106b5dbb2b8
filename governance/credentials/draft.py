"""What the label stage hands to the record: the label before its row exists."""

from dataclasses import dataclass

from governance.audit.entries import LabelDetails


@dataclass(frozen=True)
class LabelDraft:
    manifest_id: str
    watermark_id: str | None
    phash: int
    dhash: int
    manifest_store: bytes
    call_audit_index: int
    details: LabelDetails  # as the label's audit entry records it
