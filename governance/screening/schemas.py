"""What `POST /v1/screen` answers and `govern screen` prints and writes.

Regulators keep these answers, so the answer states `schema_version`: a change to its
keys or their meaning is a new version. What the file shows (its near-copies, their
transforms and altered regions, the detectors' scores) is answered to any key; who the
matched works are (title, creator, holder) only to a key that may read them in the works
API; which output of this service the file is, only where the key may be served it.
"""

from typing import Literal

from pydantic import BaseModel, Field

from governance.detectors.schemas import SyntheticOut
from governance.works.nearcopy_schemas import NearCopyOut


class WorkShown(BaseModel):
    """Who a matched work is: only for keys that may read it (`GET /v1/works/{id}`)."""

    title: str
    creator: str
    holder_id: int
    holder: str
    status: str = Field(
        description="registered, disputed (a claim on another holder's "
        "work, binding no one), upheld or rejected"
    )


class ScreenedCopy(NearCopyOut):
    work: WorkShown | None = Field(
        description="null where this key may not read the work (another holder's, or a "
        "role that reads no works); its id, score, transform and regions are still given"
    )


class ServiceOutput(BaseModel):
    """The output of this service that the file is, as far as this key may be served it."""

    found_by: Literal["manifest", "watermark", "fingerprint"] = Field(
        description="how: its signed manifest, its watermark, or (weakest: a look-alike, "
        "such as a restoration's own input) its fingerprint"
    )
    score: float = Field(description="1 for a manifest or watermark; else the fingerprint's")
    manifest_id: str
    call_id: int
    identical_to_output: bool = Field(description="the file is the output, byte for byte")
    manifest_url: str
    call_url: str


class ScreenedFile(BaseModel):
    sha256: str
    media_type: str
    width: int
    height: int
    analysed_width: int = Field(description="the copy screened: larger files are averaged down")
    analysed_height: int


class MatcherVersions(BaseModel):
    """Which algorithms answered: a later version may find other copies or regions."""

    nearcopy_matcher: int = Field(description="the near-copy search's version")
    nearcopy_record_format: int
    nearcopy_vocabulary: str = Field(description="the visual words' id, hex")
    nearcopy_min_inliers: int
    alterations: str = Field(description="the altered-region algorithm, name/version")


class ScreenResult(BaseModel):
    # 2: versions name the near-copy search (`nearcopy_matcher`).
    schema_version: Literal[2] = 2
    file: ScreenedFile
    near_copies: list[ScreenedCopy] = Field(description="best first")
    synthetic: SyntheticOut = Field(description="evidence, never a verdict on its own")
    service_output: ServiceOutput | None = Field(
        description="null: not an output of this service that this key may be served"
    )
    versions: MatcherVersions
