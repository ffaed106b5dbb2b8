"""Tables of the model registry. Models, datasets and items are only ever added; each
clearance is a new row, so the verdict that governed any past call can be read back."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Float, UniqueConstraint
from sqlmodel import Field, SQLModel

from rights.models import UTCDateTime, utcnow


class AiModel(SQLModel, table=True):
    """One version of a named model: a new version is a new row (and id) under its name."""

    __tablename__ = "ai_models"
    __table_args__ = (UniqueConstraint("name", "version", name="uq_ai_models_name_version"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    kind: str = Field(max_length=20)
    adapter: str = Field(max_length=1000)
    version: str = Field(max_length=100)
    # Computed by the service from the weights it loaded, never taken from the client.
    weights_sha256: str = Field(max_length=64, index=True)
    manifest_format: str = Field(max_length=20)
    manifest_sha256: str = Field(max_length=64)
    item_count: int
    registered_by: str = Field(max_length=100)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class TrainingDataset(SQLModel, table=True):
    __tablename__ = "training_datasets"
    __table_args__ = (UniqueConstraint("model_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    model_id: int = Field(foreign_key="ai_models.id", index=True)
    position: int
    name: str = Field(max_length=500)
    declared_license: str = Field(max_length=500)
    concluded_license: str = Field(max_length=500)
    legal_basis: str = Field(max_length=50)
    acquired_at: str | None = Field(default=None, max_length=40)
    item_count: int


class TrainingItem(SQLModel, table=True):
    __tablename__ = "training_items"

    id: int | None = Field(default=None, primary_key=True)
    model_id: int = Field(foreign_key="ai_models.id", index=True)
    dataset_position: int
    position: int
    sha256: str = Field(max_length=64, index=True)
    phash: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    source: str | None = Field(default=None, max_length=2000)


class ClearanceLink(SQLModel, table=True):
    """A training item that matches a registered work: what clearance judges by terms."""

    __tablename__ = "clearance_links"
    __table_args__ = (UniqueConstraint("item_id", "work_id"),)

    id: int | None = Field(default=None, primary_key=True)
    model_id: int = Field(foreign_key="ai_models.id", index=True)
    item_id: int = Field(foreign_key="training_items.id")
    work_id: int = Field(foreign_key="works.id", index=True)
    match: str = Field(max_length=20)
    distance: int


class ModelClearance(SQLModel, table=True):
    __tablename__ = "model_clearances"

    id: int | None = Field(default=None, primary_key=True)
    model_id: int = Field(foreign_key="ai_models.id", index=True)
    verdict: str = Field(max_length=20)
    # Per use: verdict, reasons, evidence per dataset and per matched item.
    uses: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    trigger: str = Field(max_length=100)
    audit_index: int = Field(sa_column=Column(BigInteger, nullable=False))
    computed_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class TwinRelease(SQLModel, table=True):
    """An admin's recorded reason why `model_id` does not carry the clearance evidence of
    `twin_id`, a model with the same weights. Only ever added, like the rest."""

    __tablename__ = "model_twin_releases"
    __table_args__ = (UniqueConstraint("model_id", "twin_id"),)

    id: int | None = Field(default=None, primary_key=True)
    model_id: int = Field(foreign_key="ai_models.id", index=True)
    twin_id: int = Field(foreign_key="ai_models.id")
    reason: str = Field(max_length=2000)
    released_by: str = Field(max_length=100)
    audit_index: int = Field(sa_column=Column(BigInteger, nullable=False))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class ModelRetirement(SQLModel, table=True):
    """An admin's retirement of one model version, with the reason: a row added, never
    removed, so the model itself stays as registered and readable."""

    __tablename__ = "model_retirements"

    id: int | None = Field(default=None, primary_key=True)
    model_id: int = Field(foreign_key="ai_models.id", unique=True)
    reason: str = Field(max_length=2000)
    retired_by: str = Field(max_length=100)
    audit_index: int = Field(sa_column=Column(BigInteger, nullable=False))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class DetectorCalibration(SQLModel, table=True):
    """How a detector's raw score reads as a probability on one deployment's images, and
    the threshold at a stated false-positive rate. Only ever added; the newest row for the
    model's weights is in force, so a past verdict can be read back by its id."""

    __tablename__ = "detector_calibrations"

    id: int | None = Field(default=None, primary_key=True)
    model_id: int = Field(foreign_key="ai_models.id", index=True)
    # A calibration holds for the weights it was fitted on, not for the model's name.
    weights_sha256: str = Field(max_length=64)
    method: str = Field(max_length=20)
    parameters: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    figures: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    target_fpr: float = Field(sa_column=Column(Float, nullable=False))
    threshold: float = Field(sa_column=Column(Float, nullable=False))
    calibrated_by: str = Field(max_length=100)
    audit_index: int = Field(sa_column=Column(BigInteger, nullable=False))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
