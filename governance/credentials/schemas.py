"""Wire shapes of the soft-binding resolution API (field names as in the CAI API)."""

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from labeling.watermark import WATERMARK_ALG

FINGERPRINT_ALG = "org.provenance-governance.fingerprint.phash.1"


class BindingAlgorithm(StrEnum):
    """The soft bindings this service writes into manifests and can look up."""

    WATERMARK = WATERMARK_ALG
    FINGERPRINT = FINGERPRINT_ALG


class ManifestMatch(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    # Aliases both ways: a report that embeds matches parses back from its own JSON.
    manifest_id: str = Field(alias="manifestId")
    similarity_score: float = Field(alias="similarityScore")
    found_by: str = Field(description="watermark, fingerprint or manifest")
    call_id: int
    manifest_url: str
    call_url: str


class ManifestMatches(BaseModel):
    matches: list[ManifestMatch]
