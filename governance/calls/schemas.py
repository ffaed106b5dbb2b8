"""Wire shapes of governed calls."""

from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from governance.calls.status import CallStatus
from governance.text import no_nul


class RestorationMetadata(BaseModel):
    """The `metadata` JSON string sent beside the image and the mask."""

    model_config = ConfigDict(extra="forbid", strict=True)

    model: int = Field(ge=1, le=2**31 - 1, description="the registered model's id")
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


class GenerationIn(BaseModel):
    # Strict: "seed": true or "model": "2" would otherwise be recorded as 1 and 2.
    model_config = ConfigDict(extra="forbid", strict=True)

    model: int = Field(ge=1, le=2**31 - 1, description="the registered model's id")
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
