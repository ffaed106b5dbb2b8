"""Wire shapes of the model registry."""

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from governance.text import no_nul
from rights.clearance import UseEvidence
from rights.terms import Use

Name = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(no_nul)]


def not_an_id(name: str) -> str:
    # A name of digits alone would read as an id wherever a model is named by either.
    if name.isdigit():
        raise ValueError("a model's name cannot be digits alone: it would read as an id")
    return name


class ModelIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: Annotated[Name, AfterValidator(not_an_id)] = Field(
        description="several versions may share a name; calls that name it get its newest "
        "cleared version"
    )
    kind: str = Field(description="restoration, generation or detector")
    adapter: Annotated[str, Field(min_length=1, max_length=1000), AfterValidator(no_nul)]
    version: Annotated[
        str,
        Field(
            min_length=1,
            max_length=100,
            description="unique per name: the same name and version is refused (409)",
        ),
        AfterValidator(no_nul),
    ]
    weights_sha256: str | None = Field(
        default=None,
        pattern=r"^[0-9a-f]{64}$",
        description="optional: refused unless it equals the hash of the weights the service loads",
    )
    training_manifest: dict[str, Any] = Field(
        description="this project's format, or an SPDX 3.0 JSON-LD document (AI/Dataset)"
    )


class DatasetOut(BaseModel):
    position: int
    name: str
    declared_license: str
    concluded_license: str
    legal_basis: str
    acquired_at: str | None
    items: int


class ClearanceSummary(BaseModel):
    verdict: str
    uses: dict[str, str]
    computed_at: datetime
    audit_index: int


class RetirementOut(BaseModel):
    reason: str
    retired_by: str
    retired_at: datetime
    audit_index: int


class CalibrationSummary(BaseModel):
    """A detector's calibration in force (`govern detectors calibrate`): the newest for
    its weights."""

    id: int
    method: str = Field(description="platt or isotonic")
    parameters: dict[str, float | list[float]]
    target_fpr: float
    threshold: float = Field(description="on the calibrated probability, at target_fpr")
    figures: dict[str, float | int] = Field(
        description="held out: auc, ece, ece_uncalibrated, held_out_fpr, held_out_tpr, and "
        "the counts of images fitted and held out"
    )
    calibrated_by: str
    calibrated_at: datetime
    audit_index: int


class ModelOut(BaseModel):
    id: int
    name: str
    kind: str
    adapter: str
    version: str
    weights_sha256: str
    manifest_format: str
    manifest_sha256: str
    item_count: int
    datasets: list[DatasetOut]
    clearance: ClearanceSummary
    retired: RetirementOut | None = Field(
        description="set once an admin retired this version: its calls are blocked"
    )
    calibration: CalibrationSummary | None = Field(
        default=None, description="detectors only: the calibration in force, if any"
    )
    created_at: datetime


class ModelPage(BaseModel):
    items: list[ModelOut]
    total: int


# An admin's reason for a decision the audit log keeps: one sentence or a few.
AuditedReason = Annotated[str, Field(min_length=1, max_length=2000), AfterValidator(no_nul)]


class RetireIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: AuditedReason = Field(
        description="why this version may no longer be called; kept in the log"
    )


class TwinReleaseIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: AuditedReason = Field(
        description="why this model does not carry the twin's clearance; kept in the log"
    )


class TwinOut(BaseModel):
    model_id: int
    model_name: str
    weights_sha256: str
    carried: bool = Field(description="whether its clearance binds this model (stricter wins)")
    release_reason: str | None
    released_by: str | None
    released_at: datetime | None
    release_audit_index: int | None


class ClearanceOut(BaseModel):
    schema_version: Literal[1] = Field(
        description="the version of the evidence's schema (required, uses)"
    )
    model_id: int
    model_name: str
    verdict: str = Field(description="cleared, review or blocked, for the model's own kind")
    required: list[Use] = Field(description="the uses the model's kind depends on")
    uses: dict[Use, UseEvidence] = Field(
        description="per use: verdict, reasons, evidence per dataset and per matched item"
    )
    twins: list[TwinOut] = Field(
        description="the models registered now with the same weights, and whether each "
        "one's clearance binds this one"
    )
    trigger: str
    computed_at: datetime
    audit_index: int
