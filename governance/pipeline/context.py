"""What a governed call carries: its typed input and what stages contribute to later ones.

Stages share typed data here, never each other's names or evidence: the input rights
check contributes the terms the output's manifest carries, the model stage hands its
output on, the seal hands the record's id and audit index to the stages inside it.
"""

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlmodel import Session

from governance.adapters.base import ModelKind
from governance.aimodels.models import AiModel
from governance.auth.service import Principal
from governance.credentials.build import ManifestParts
from governance.credentials.draft import LabelDraft
from governance.services import Services
from governance.works.nearcopy_schemas import NearCopyOut


@dataclass(frozen=True)
class RestorationInput:
    image: np.ndarray  # uint8 RGB
    mask: np.ndarray  # bool, True where damaged
    data: bytes  # the file as uploaded: the manifest's parent
    media_type: str
    input_sha256: str  # the kept upload's SHA-256
    mask_sha256: str


@dataclass(frozen=True)
class GenerationInput:
    prompt: str
    seed: int
    width: int
    height: int


CallInput = RestorationInput | GenerationInput


@dataclass
class Output:
    """What the model made, as the stages after it mark, sign and keep it."""

    pixels: np.ndarray  # uint8 RGB; the label stage replaces them with the marked pixels
    file: bytes | None = None  # the labelled file, once signed
    label: LabelDraft | None = None  # the label's record-to-be
    sha256: str | None = None  # the kept file's SHA-256, once stored


@dataclass(frozen=True)
class Seal:
    """What exists only inside the seal: the record's row and its audit entry's index."""

    call_id: int
    audit_index: int
    # SHA-256 of the stages' evidence before the seal: what the label names.
    evidence_sha256: str
    reserve_ms: float  # reserving the row and taking the audit lock


@dataclass
class CallContext:
    session: Session
    services: Services
    principal: Principal
    model: AiModel
    input: CallInput
    request: dict[str, Any]  # as recorded
    manifest: ManifestParts = field(default_factory=ManifestParts)
    # Near copies of registered works the screen stage saw in the output, which the seal
    # records as the works' sightings once the call's row has its id.
    sightings: list[NearCopyOut] = field(default_factory=list)

    @property
    def kind(self) -> ModelKind:
        if isinstance(self.input, RestorationInput):
            return ModelKind.RESTORATION
        return ModelKind.GENERATION

    @property
    def model_id(self) -> int:
        assert self.model.id is not None, "calls are made only on registered models"
        return self.model.id
