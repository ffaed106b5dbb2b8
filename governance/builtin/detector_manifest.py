"""The built-in detector's training split and manifest: the photographs it learnt from as real
images, grouped by licence as the other built-ins' are (training_manifests.py).

The AI-made images it learnt from were made from these photographs during training
(re-upsampled, autoencoded) or sampled from the built-in generator for their classes;
they carry no rights of their own beyond those of the photographs, which are listed.
"""

from functools import cache
from typing import Any

import imagehash
from PIL import Image

from governance.builtin.photos import LICENSED, file_sha256, photo_path
from governance.builtin.training_manifests import ACQUIRED_AT, LICENCES, PUBLIC_DOMAIN

# Held out by photograph: no crop of these, and no fake made from them, is trained on.
# Two colour photographs (as the restorer holds out) and a grey one.
DETECTOR_HELD_OUT: tuple[str, ...] = ("astronaut", "coffee", "camera")
DETECTOR_TRAINING: tuple[str, ...] = tuple(p for p in LICENSED if p not in DETECTOR_HELD_OUT)

_GROUPS = {"CC0-1.0": "CC0", PUBLIC_DOMAIN: "public domain"}


@cache
def _phash(name: str) -> str:
    with Image.open(photo_path(name)) as image:
        return str(imagehash.phash(image))


def detector_training_manifest() -> dict[str, Any]:
    datasets = []
    for licence, group in _GROUPS.items():
        members = [name for name in DETECTOR_TRAINING if LICENCES[name] == licence]
        if members:
            datasets.append(
                {
                    "name": f"scikit-image sample photographs, {group} (detector training split)",
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
    # Every photograph it learnt from is licensed: none falls outside the groups above.
    assert sum(len(d["items"]) for d in datasets) == len(DETECTOR_TRAINING)
    return {"datasets": datasets}
