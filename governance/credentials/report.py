"""The verification report for one file: what `POST /v1/verify` serves, what `govern verify`
prints and writes to report.json, what the folder page summarises.

Regulators keep these reports, so the report states `schema_version`: a change to its
keys or their meaning is a new version. Sections whose keys differ by case (no
manifest, an unreadable one, a readable one; a watermark found or not) are one model
per case, so each case's JSON keeps exactly its own keys. No other key is allowed:
a stored report either parses as this schema or is not of it.

Version 2: what the report says of the service's records (`record`, `fingerprint`, a
manifest recovered from the service's store, the visible label it drew) is only what
the asking key may be served of those outputs (`calls.status.may_read_output`); what
the file says of itself is reported to anyone. `implicit_labels.origin` is new: the
TC260 label's ProduceID checked against the labels the service issued.

`FileOnlyReport` is a version 2 report checked with no service at all (`govern verify
--trust-anchor`): it adds `records`, which says that the service's records were not
consulted and which findings they alone could give. A strict reader of `VerifyReport`
refuses it (an extra key) rather than read its empty `record` as "the service has none".
"""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from governance.audit.entries import VisibleLabel
from governance.credentials.schemas import ManifestMatch


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FileFacts(_Section):
    name: str
    sha256: str
    bytes: int
    media_type: str
    width: int
    height: int


# A validation code: code, kind (success, informational, failure), explanation (plain
# words), detail (the validator's own); url and ingredient where they apply.
Code = dict[str, str]


class NoManifest(_Section):
    present: Literal[False] = False
    state: None = None
    codes: list[Code] = Field(default_factory=list)


class UnreadableManifest(_Section):
    """C2PA data that cannot be read at all: a finding, reported as Invalid."""

    present: Literal[True] = True
    state: Literal["Invalid"] = "Invalid"
    codes: list[Code]


class ManifestFacts(_Section):
    """The active manifest, judged (labeling.c2pa_read.ManifestReport)."""

    present: Literal[True] = True
    state: str = Field(description="Trusted, Valid or Invalid")
    manifest_id: str | None
    codes: list[Code]
    digital_source_types: list[str]
    software_agents: list[str] = Field(description="name/version")
    actions: list[str]
    training_mining: dict[str, str] = Field(description="use -> value")
    provenance: dict[str, Any] | None = Field(description="the service's own assertion")
    soft_bindings: list[dict[str, str]] = Field(description="alg, value")
    ingredients: list[dict[str, Any]]
    signer: dict[str, str | None]
    title: str | None
    source: str = Field(description="embedded, or recovered against a store kept apart")


class AiDisclosure(_Section):
    model_config = ConfigDict(populate_by_name=True)

    ai_made: bool
    digital_source_types: list[str]
    software_agents: list[str]
    disclosed_by: str | None = Field(
        alias="from", description="embedded manifest, or manifest kept by the service"
    )
    implicit_labels_say_ai: bool


class LabelOrigin(_Section):
    """The TC260 label's ProduceID against the labels this service issued."""

    produce_id: str
    verdict: Literal["this_file", "altered", "another_file", "not_issued", "other_producer"] = (
        Field(
            description="this_file: the service issued this label for this file, as recorded; "
            "altered: for this file, but its fields differ from the record; another_file: "
            "the ProduceID is the service's label of another output (a copied label); "
            "not_issued: the label names this service as producer, but no output the caller "
            "may be served has this ProduceID; other_producer: another producer's label"
        )
    )
    detail: str


class ImplicitLabels(_Section):
    tc260_aigc: dict[str, str] | None
    problems: list[str]
    digital_source_type: str | None
    # None where the file carries no TC260 label naming a ProduceID.
    origin: LabelOrigin | None


class VisibleLabelSeen(VisibleLabel):
    # A copy of another shape may have been cropped: the label is then not confirmed.
    confirmed_in_this_file: bool


class WatermarkFound(_Section):
    found: Literal[True] = True
    watermark_id: str
    confidence: float = Field(description="0 for noise, 1 for a pristine mark")
    transform: str = Field(description="what the image went through, as far as seen")


class NoWatermark(_Section):
    found: Literal[False] = False


class Fingerprint(_Section):
    matches: list[ManifestMatch]


class RecoveredManifest(_Section):
    state: str
    manifest_id: str | None
    codes: list[Code]


class Check(_Section):
    name: str
    passed: bool
    detail: str


class ServiceRecord(ManifestMatch):
    """The service's label for this file and whether the file agrees with it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    identical_to_output: bool
    recovered_manifest: RecoveredManifest | None
    # None where the record was found by fingerprint alone: that claims nothing to check
    # (not applicable, which is neither agreeing nor disagreeing).
    agrees_with_audit_log: bool | None
    checks: list[Check]


class Regime(_Section):
    regime: str
    conformant: bool
    checks: list[Check]


class Conformance(_Section):
    eu_ai_act_art50: Regime
    gb_45438_2025: Regime


class VerifyReport(_Section):
    schema_version: Literal[2] = 2
    file: FileFacts
    c2pa: ManifestFacts | UnreadableManifest | NoManifest
    ai_disclosure: AiDisclosure
    training_mining: dict[str, str]
    implicit_labels: ImplicitLabels
    visible_label: VisibleLabelSeen | None
    watermark: WatermarkFound | NoWatermark
    fingerprint: Fingerprint
    # None where the service has no record of this file that the caller may be served.
    record: ServiceRecord | None
    conformance: Conformance

    def to_json(self) -> dict[str, Any]:
        """The report as the API serves it (with the wire names: manifestId, from)."""
        return self.model_dump(mode="json", by_alias=True)


class SoftBinding(_Section):
    alg: str
    value: str


class RecordsNotConsulted(_Section):
    """Why a report says nothing of the service's records: nobody asked them."""

    consulted: Literal[False] = False
    detail: str = Field(description="why not, and how to ask")
    not_checked: list[str] = Field(
        description="the report's findings that only the service's records can give, "
        "left empty or unknown here for that reason"
    )
    trust_anchors: list[str] = Field(
        description="the certificates the C2PA state was judged against: subject and "
        "SHA-256 fingerprint; none means a manifest is at best Valid"
    )
    soft_bindings: list[SoftBinding] = Field(
        description="what the file carries to look it up by later "
        "(GET /v1/matches/byBinding): its watermark, if read, and its pHash"
    )


# Checks that only the service's records decide (labels are not read from pixels): in a
# report made from the file alone they are not checked, neither passed nor failed.
RECORD_CHECKS = frozenset({"visible_label"})


class FileOnlyReport(VerifyReport):
    """A version 2 report made from the file alone, with `records` saying so."""

    records: RecordsNotConsulted

    def undecided(self, regime: Regime) -> bool:
        """Whether `regime` fails only on checks the records would have decided: from the
        file alone it is then not established either way, rather than not conformant."""
        failing = {c.name for c in regime.checks if not c.passed}
        return not regime.conformant and bool(failing) and failing <= RECORD_CHECKS
