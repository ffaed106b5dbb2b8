"""Training manifests of the built-in models, in the project's training-manifest format.

Licences are read from scikit-image's own notes on each photograph (the docstrings of the
`skimage.data` loaders; the README.txt shipped in skimage/data/ no longer lists them).
Photographs are grouped into one dataset per licence, with SPDX identifiers:

- CC0-1.0 where the notes say CC0;
- CC-PDM-1.0 (the Public Domain Mark) where they say "released into the public domain"
  (NASA, SpaceX, the photographer);
- NOASSERTION where they state no licence ("no known copyright restrictions" is a
  finding about the absence of known rights, not a grant) or say nothing at all.
"""

from functools import cache
from typing import Any

import imagehash
from PIL import Image

from governance.builtin.photos import (
    GENERATION_TRAINING,
    RESTORATION_TRAINING,
    file_sha256,
    photo_path,
)

# The day the photographs were taken from the installed scikit-image 0.26 package.
ACQUIRED_AT = "2026-11-24"
PUBLIC_DOMAIN = "CC-PDM-1.0"

LICENCES: dict[str, str] = {
    "brick": "CC0-1.0",  # CC0Textures, CC0
    "camera": "CC0-1.0",  # "CC0 by the photographer (Lav Varshney)"
    "chelsea": "CC0-1.0",  # "CC0 by the photographer (Stefan van der Walt)"
    "coffee": "CC0-1.0",  # "CC0 by the photographer (Rachel Michetti)"
    "grass": "CC0-1.0",  # DeviantArt, "Creative Commons CC0 License"
    "gravel": "CC0-1.0",  # CC0Textures, CC0
    "retina": "CC0-1.0",  # Wikimedia, "CC0 1.0 Universal Public Domain Dedication"
    "astronaut": PUBLIC_DOMAIN,  # NASA, "released into the public domain"
    "clock": PUBLIC_DOMAIN,  # "Released into the public domain by the photographer"
    "hubble_deep_field": PUBLIC_DOMAIN,  # NASA, "may be freely used in the public domain"
    "rocket": PUBLIC_DOMAIN,  # SpaceX, "released in the public domain"
    "text": PUBLIC_DOMAIN,  # Wikipedia, "released into the public domain"
    "coins": "NOASSERTION",  # Brooklyn Museum, "No known copyright restrictions"
    "immunohistochemistry": "NOASSERTION",  # CMMI, "No known copyright restrictions"
    "colorwheel": "NOASSERTION",  # no statement
    "moon": "NOASSERTION",  # no statement
    "page": "NOASSERTION",  # no statement
}

_GROUP_NAMES = {
    "CC0-1.0": "CC0",
    PUBLIC_DOMAIN: "public domain",
    "NOASSERTION": "no licence stated",
}
_SPLITS: dict[str, tuple[str, tuple[str, ...]]] = {
    "restoration": ("restoration training split", RESTORATION_TRAINING),
    "generation": ("generation training set", GENERATION_TRAINING),
}


def trained_photographs(kind: str) -> tuple[str, ...]:
    """The photographs the built-in model of this kind was trained on."""
    if kind not in _SPLITS:
        raise ValueError(f"no built-in model of kind '{kind}' (known: {', '.join(_SPLITS)})")
    return _SPLITS[kind][1]


@cache
def _phash(name: str) -> str:
    with Image.open(photo_path(name)) as image:
        return str(imagehash.phash(image))


def training_manifest(kind: str) -> dict[str, Any]:
    """The training manifest of the built-in 'restoration' or 'generation' model."""
    photos = trained_photographs(kind)
    split = _SPLITS[kind][0]
    datasets = []
    for licence, group in _GROUP_NAMES.items():
        members = [name for name in photos if LICENCES[name] == licence]
        if not members:
            continue
        datasets.append(
            {
                "name": f"scikit-image sample photographs, {group} ({split})",
                "declared_license": licence,
                "concluded_license": licence,
                "legal_basis": "license",
                "acquired_at": ACQUIRED_AT,
                "items": [
                    {
                        "sha256": file_sha256(name),
                        "phash": _phash(name),
                        "source": f"skimage.data.{name}",
                    }
                    for name in members
                ],
            }
        )
    return {"datasets": datasets}
