"""Entry kinds of restoration reports and their review (listed in entries.ENTRY_KINDS)."""

from typing import ClassVar, Literal

from governance.audit.entry_base import EntryData, _Strict


class ReportFile(_Strict):
    name: str
    sha256: str
    media_type: str
    size: int


class ReportReady(EntryData):
    """A call's restoration report, ready: the SHA-256 of the JSON bytes that
    GET /v1/calls/{id}/report serves and of each file it names, so that whoever downloads
    them can find them here. Subject `call:{id}`."""

    entry_kind: ClassVar[str] = "report.ready"
    schema_version: Literal[1] = 1
    call_id: int
    report_sha256: str
    report_schema: str  # e.g. "restoration-report/1"
    files: list[ReportFile]
    weights_sha256: str | None
    # The randomisation check the report cites (explain_checks.result_sha256), if any.
    randomisation_sha256: str | None


class ReviewRegion(_Strict):
    x: int
    y: int
    width: int
    height: int
    note: str


class ReleasedOutput(_Strict):
    """The output as signed again on release (its new manifest names the review)."""

    manifest_id: str
    output_sha256: str
    manifest_store_sha256: str


class ReviewDecided(EntryData):
    """One conservator's decision on a pending output. Subject `call:{id}`.

    `status` is the call's status after this decision; `released` is set on the decision
    that released it (the output signed again, naming every approving reviewer)."""

    entry_kind: ClassVar[str] = "review.decided"
    schema_version: Literal[1] = 1
    call_id: int
    reviewer: str
    reviewer_key_id: int
    decision: Literal["approve", "reject"]
    comment: str
    regions: list[ReviewRegion]
    report_sha256: str
    status: str
    released: ReleasedOutput | None
