"""Training manifests in this project's own format: what a model was trained on.

`{"datasets": [{"name", "declared_license", "concluded_license", "legal_basis",
"acquired_at", "items": [{"sha256", "phash"?, "source"?, "image"?}]}]}`; an item's
`sha256` is of the file's bytes as distributed, `phash` imagehash's 16 hex digits,
`image` the file itself in base64 (both hashes are then computed from it). Declared and
concluded licences are kept apart: a declared licence is the distributor's claim,
a concluded one is what somebody checked.
"""

import base64
import binascii
import hashlib
import io
import warnings
from datetime import date, datetime
from typing import Annotated, Any

from PIL import Image
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from rights.errors import InvalidLicenseError, InvalidManifestError
from rights.fingerprints import HashKind, Orientation, fingerprint, hash_hex
from rights.licenses import normalise_license

MAX_ITEMS = 1_000_000
MAX_DATASETS = 1_000
MAX_IMAGE_B64 = 16 * 1024 * 1024
MAX_ITEM_PIXELS = 40_000_000

LEGAL_BASES = (
    "license",  # the dataset's licence grants the use
    "tdm_exception",  # a text-and-data-mining exception (EU DSM Art. 3/4), opt-outs respected
    "public_domain",
    "own_work",  # made or owned by the model's operator
    "consent",  # the rights holders agreed individually
    "unspecified",
)


def _license(value: str) -> str:
    try:
        return normalise_license(value)
    except InvalidLicenseError as exc:
        raise ValueError(str(exc)) from None


def _decode_b64(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("image: not valid base64") from None


def _phash_of(data: bytes) -> str:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.width * image.height > MAX_ITEM_PIXELS:
                raise ValueError("image: larger than an item image may be")
            image.load()
    except (OSError, Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        raise ValueError(f"image: not a readable image ({exc})") from None
    return hash_hex(fingerprint(image).get(HashKind.PHASH, Orientation.ORIGINAL))


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain a NUL character")
    return value


License = Annotated[str, Field(max_length=500), AfterValidator(_license)]
Text = Annotated[str, Field(min_length=1, max_length=500), AfterValidator(_no_nul)]


class ManifestItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sha256: Annotated[str | None, Field(pattern=r"^[0-9a-fA-F]{64}$")] = None
    phash: Annotated[str | None, Field(pattern=r"^[0-9a-fA-F]{16}$")] = None
    source: Annotated[str | None, Field(max_length=2000), AfterValidator(_no_nul)] = None
    # The item's file itself (base64), when the manifest's author has it: the service
    # hashes it here and keeps only the hashes.
    image: Annotated[str | None, Field(max_length=MAX_IMAGE_B64, exclude=True)] = None

    @model_validator(mode="after")
    def _hashes_from_image(self) -> "ManifestItem":
        if self.image is not None:
            data = _decode_b64(self.image)
            self.sha256 = self.sha256 or hashlib.sha256(data).hexdigest()
            self.phash = self.phash or _phash_of(data)
            self.image = None
        if self.sha256 is None:
            raise ValueError("an item needs its sha256 (or its image)")
        self.sha256 = self.sha256.lower()
        return self


class ManifestDataset(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Text
    declared_license: License = "NOASSERTION"
    concluded_license: License = "NOASSERTION"
    legal_basis: Annotated[str, Field(max_length=50)] = "unspecified"
    acquired_at: date | datetime | None = None
    items: list[ManifestItem] = Field(default_factory=list)


class SpdxOrigin(BaseModel):
    """Which SPDX element a manifest was imported from."""

    model_config = ConfigDict(extra="forbid")

    ai_package: Text
    name: Text


class TrainingManifest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    datasets: list[ManifestDataset] = Field(max_length=MAX_DATASETS)
    spdx: SpdxOrigin | None = None

    @property
    def item_count(self) -> int:
        return sum(len(d.items) for d in self.datasets)


def parse_training_manifest(raw: Any) -> TrainingManifest:
    """Validate a manifest in this project's format; InvalidManifestError says where not."""
    try:
        manifest = TrainingManifest.model_validate(raw)
    except ValidationError as exc:
        raise InvalidManifestError(_sentence(exc)) from None
    for i, dataset in enumerate(manifest.datasets):
        if dataset.legal_basis not in LEGAL_BASES:
            raise InvalidManifestError(
                f"datasets.{i}.legal_basis: '{dataset.legal_basis}' is not one of "
                + ", ".join(LEGAL_BASES)
            )
    if manifest.item_count > MAX_ITEMS:
        raise InvalidManifestError(f"a manifest lists at most {MAX_ITEMS} items")
    return manifest


def _sentence(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors()[:5]:
        where = ".".join(str(p) for p in error["loc"]) or "manifest"
        parts.append(f"{where}: {error['msg']}")
    more = exc.error_count() - len(parts)
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")
