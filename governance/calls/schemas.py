"""Wire shapes of governed calls."""

from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from governance.calls.status import CallStatus
from governance.reports.schemas import ReportRef
from governance.text import no_nul

ModelId = Annotated[int, Field(ge=1, le=2**31 - 1)]
ModelName = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(no_nul)]
ModelVersion = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(no_nul)]
MODEL = "a model's id (a number: that version), or its name (a string)"
VERSION = (
    "with a name: that version; without it, the name's newest cleared version; with an id: "
    "the id's own version, else 404"
)


class NamesAModel(BaseModel):
    """The model a call asks for: an id, a name, or a name and a version."""

    # Strict: "model": "2" is the name "2" (no model has it), never the id 2.
    model_config = ConfigDict(extra="forbid", strict=True)

    model: ModelId | ModelName = Field(description=MODEL)
    version: ModelVersion | None = Field(default=None, description=VERSION)

    def asked(self) -> dict[str, Any]:
        """The model as the request named it, for its record; ids record as before."""
        if self.version is None:
            return {"model": self.model}
        return {"model": self.model, "version": self.version}


class RestorationMetadata(NamesAModel):
    """The `metadata` JSON string sent beside the image and the mask."""

    parameters: dict[str, Any] = Field(
        default_factory=dict,
        description="none of this version's adapters takes parameters: send none or {}",
    )

    visible_label: bool | None = Field(
        default=None, description="draw a visible AI label; null: the deployment's default"
    )

    @field_validator("parameters")
    @classmethod
    def _no_parameters(cls, value: dict[str, Any]) -> dict[str, Any]:
        # Recording parameters that no model reads would make the evidence lie.
        if value:
            raise ValueError("no adapter of this version takes parameters; send {}")
        return value


class GenerationIn(NamesAModel):
    # Strict (as its base): "seed": true would otherwise be recorded as 1.
    prompt: Annotated[str, Field(min_length=1), AfterValidator(no_nul)]
    seed: int = Field(default=0, ge=0, le=2**32 - 1)
    width: int = 512
    height: int = 512
    visible_label: bool | None = Field(
        default=None, description="draw a visible AI label; null: the deployment's default"
    )


class ModelRef(BaseModel):
    id: int
    name: str
    version: str
    weights_sha256: str


class CallOut(BaseModel):
    id: int
    kind: str
    status: CallStatus
    reasons: list[dict[str, str]]
    stages: list[dict[str, Any]]
    model: ModelRef
    request: dict[str, Any]
    input_sha256: str | None
    mask_sha256: str | None
    output_sha256: str | None
    output_url: str | None
    audit_index: int | None
    created_at: datetime
    # A restoration that keeps an output: its report job's state and where to read it.
    report: ReportRef | None = None
