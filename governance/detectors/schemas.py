"""What the AI-made-image detectors say about an image: evidence, never a refusal."""

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field


class SyntheticVerdict(StrEnum):
    LIKELY_SYNTHETIC = "likely_synthetic"  # over the threshold at the stated false-positive rate
    NOT_FLAGGED = "not_flagged"  # under it: not a finding that the image is real
    UNCALIBRATED = "uncalibrated"  # a score, but no calibration to read it by
    NO_DETECTOR = "no_detector"  # no cleared, active detector ran


class DetectorScore(BaseModel):
    model_id: int
    name: str
    version: str
    weights_sha256: str
    raw_score: float = Field(description="the model's own output, 0-1")
    probability: float | None = Field(description="calibrated; null when uncalibrated")
    threshold: float | None = Field(description="on the calibrated score, at target_fpr")
    target_fpr: float | None
    calibration_id: int | None
    verdict: SyntheticVerdict


class DetectorFailure(BaseModel):
    """A cleared detector that was meant to run and gave no score: said, never hidden."""

    model_id: int
    name: str
    version: str
    code: str = Field(
        description="model_unavailable, weights_changed, model_busy, model_timeout or model_error"
    )
    detail: str


class SyntheticOut(BaseModel):
    score: float | None = Field(description="the highest calibrated probability, if any")
    verdict: SyntheticVerdict
    detectors: list[DetectorScore]
    failed: list[DetectorFailure] = Field(
        default_factory=list, description="cleared detectors that could not give a score"
    )


class CalibrationFigures(BaseModel):
    """Measured on the held-out half of the images, never on the half that was fitted."""

    auc: float = Field(description="held-out ROC AUC of the raw score (calibration keeps order)")
    ece: float = Field(description="held-out expected calibration error, 10 equal-width bins")
    ece_uncalibrated: float = Field(description="the same for the raw score read as a probability")
    held_out_fpr: float = Field(description="real held-out images flagged at the threshold")
    held_out_tpr: float = Field(description="synthetic held-out images flagged at the threshold")
    fitted_real: int
    fitted_synthetic: int
    held_out_real: int
    held_out_synthetic: int


class CalibrationOut(BaseModel):
    id: int
    model_id: int
    name: str
    version: str
    weights_sha256: str
    method: str = Field(description="platt or isotonic")
    parameters: dict[str, float | list[float]]
    target_fpr: float
    threshold: float = Field(
        description="on the calibrated probability: at most target_fpr of the fitted real "
        "images reach it"
    )
    figures: CalibrationFigures
    calibrated_by: str
    audit_index: int
    created_at: datetime
