"""Wire shapes of the soft-binding resolution API (field names as in the CAI API)."""

from pydantic import BaseModel, ConfigDict, Field


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
