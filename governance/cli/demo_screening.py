"""`govern demo`'s screening steps: a claim on another holder's work disputed, an altered
copy of a work found with its region drawn, a generation refused for copying a work and
a restoration flagged for painting outside its mask.

The two models here are deliberately bad ones, registered through the API like any
deployment's own `python:` models: one has memorised a photograph of the collection,
the other "cleans" the sky above the damage it was asked to fill.
"""

import hashlib
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from governance.cli.screen_command import write_pages
from governance.cli.screen_page import Screened
from governance.screening.schemas import ScreenResult

Call = Callable[..., tuple[int, Any]]
MEMORISED = "rocket"  # bob's work, which says nothing of generative training
SKY_ROWS = 24  # the rows the careless restorer brightens, far above any damage


def _photograph(name: str) -> np.ndarray:
    import skimage.data

    pixels: np.ndarray = getattr(skimage.data, name)()
    return pixels


def _png(pixels: np.ndarray, fmt: str = "PNG", **options: Any) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, fmt, **options)
    return buffer.getvalue()


def memorised_generate(prompt: str, seed: int, width: int, height: int) -> np.ndarray:
    """A generator that learnt one photograph of the collection by heart."""
    picture = Image.fromarray(_photograph(MEMORISED)).convert("RGB").resize((width, height))
    return np.asarray(picture)


def careless_restore(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Fills the damage with its surroundings' mean colour, and brightens the top rows."""
    out = image.copy()
    out[mask] = image[~mask].mean(axis=0).astype(np.uint8)
    top = out[:SKY_ROWS].astype(np.int16) + 40
    out[:SKY_ROWS] = np.clip(top, 0, 255).astype(np.uint8)
    return out


def _manifest(seed: str) -> dict[str, Any]:
    item = {"sha256": hashlib.sha256(f"demo screening {seed}".encode()).hexdigest()}
    return {
        "datasets": [
            {
                "name": "licensed set",
                "declared_license": "CC0-1.0",
                "legal_basis": "license",
                "acquired_at": "2026-01-15",
                "items": [item],
            }
        ]
    }


def _model(call: Call, name: str, kind: str, function: str) -> int:
    body = {
        "name": name,
        "kind": kind,
        "adapter": f"python:{__name__}:{function}",
        "version": "1",
        "training_manifest": _manifest(name),
    }
    _, answer = call(f"the admin registers {name}", "POST", "/v1/models", "admin", json=body)
    return int(answer["id"])


def dispute(call: Call, work_ids: dict[str, int]) -> dict[str, Any]:
    """bob registers a turned, cropped JPEG of alice's astronaut; an admin rejects it."""
    turned = np.rot90(_photograph("astronaut"))[40:-40, 30:-30]
    meta = {"title": "Portrait in orbit", "creator": "bob", "license": "MIT", "terms": {}}
    _, claimed = call(
        "bob registers a turned, cropped JPEG of alice's astronaut (disputed)",
        "POST",
        "/v1/works",
        "bob",
        files={"file": ("orbit.jpg", _png(np.ascontiguousarray(turned), "JPEG"), "image/jpeg")},
        data={"metadata": json.dumps(meta)},
    )
    if "id" not in claimed:
        return {"claimed": claimed, "resolved": {}}
    _, resolved = call(
        "the admin rejects bob's claim",
        "POST",
        f"/v1/works/{claimed['id']}/dispute",
        "admin",
        json={"resolution": "rejected", "comment": "a copy of alice's earlier registration"},
    )
    return {"claimed": claimed, "resolved": resolved, "original": work_ids["astronaut"]}


def altered_copy(call: Call, directory: Path) -> dict[str, Any]:
    """A regulator screens a copy of the cat with a pasted patch; the page draws it."""
    cat = _photograph("chelsea").copy()
    height, width = cat.shape[:2]
    # About 5% of the picture: a patch of the coffee photograph pasted over the cat.
    patch_h, patch_w = height // 5, width // 4
    cat[40 : 40 + patch_h, 60 : 60 + patch_w] = _photograph("coffee")[:patch_h, :patch_w]
    copy = Image.fromarray(cat).resize((width * 3 // 4, height * 3 // 4))
    data = _png(np.asarray(copy), "JPEG", quality=85)
    folder = directory / "screening"
    folder.mkdir(exist_ok=True)
    (folder / "altered-cat.jpg").write_bytes(data)
    _, answer = call(
        "a regulator screens a copy of bob's cat with a patch pasted in",
        "POST",
        "/v1/screen",
        "regulator",
        files={"file": ("altered-cat.jpg", data, "image/jpeg")},
    )
    result = ScreenResult.model_validate(answer) if "near_copies" in answer else None
    page = None
    if result is not None:
        screened = [Screened(str(folder / "altered-cat.jpg"), result, None, data)]
        page = write_pages([(str(folder), screened)], folder, "POST /v1/screen")[0]
        _draw(np.asarray(copy), result, folder / "altered-cat-regions.png")
    return {"answer": answer, "page": page}


def _draw(pixels: np.ndarray, result: ScreenResult, path: Path) -> None:
    picture = Image.fromarray(pixels)
    pen = ImageDraw.Draw(picture)
    for copy in result.near_copies[:1]:
        for r in copy.altered_regions:
            pen.rectangle([r.x, r.y, r.x + r.width, r.y + r.height], outline=(255, 0, 0), width=3)
    picture.save(path)


def copied_generation(call: Call) -> dict[str, Any]:
    """A cleared generator that memorised bob's rocket: its output is refused."""
    model = _model(call, "memorised-generator", "generation", "memorised_generate")
    body = {"model": model, "prompt": "a launch at dawn", "seed": 1, "width": 384, "height": 256}
    _, answer = call(
        "a generation that reproduces bob's rocket (refused: copies a work)",
        "POST",
        "/v1/generations",
        "operator",
        json=body,
    )
    return dict(answer)


def careless_restoration(call: Call) -> dict[str, Any]:
    """A restorer that also brightens the sky: flagged, with the map of what it touched."""
    model = _model(call, "careless-restorer", "restoration", "careless_restore")
    image = _photograph("camera")
    mask = np.zeros(image.shape[:2], dtype=np.uint8)
    mask[300:340, 200:260] = 255
    rgb = np.repeat(image[..., None], 3, axis=2)
    _, answer = call(
        "a restorer that also brightens the sky (flagged: outside its mask)",
        "POST",
        "/v1/restorations",
        "operator",
        files={
            "file": ("camera.png", _png(rgb), "image/png"),
            "mask": ("m.png", _png(mask), "image/png"),
        },
        data={"metadata": json.dumps({"model": model})},
    )
    return dict(answer)


def _codes(call_record: dict[str, Any]) -> list[str]:
    return [r["code"] for r in call_record.get("reasons", [])]


def summary(done: dict[str, Any]) -> str:
    claim, found = done["dispute"]["claimed"], done["altered"]["answer"]
    best = (found.get("near_copies") or [{}])[0]
    regions = best.get("altered_regions", [])
    return (
        f"Screening: bob's turned, cropped copy of the astronaut registered as "
        f"{claim.get('status')} against work {done['dispute'].get('original')}, then "
        f"{done['dispute']['resolved'].get('status')} by the admin. The altered copy of the "
        f"cat matched work {best.get('work_id')} (altered: {best.get('altered')}, "
        f"{len(regions)} region(s); page: {done['altered']['page']}). The memorised "
        f"generation is {done['generation'].get('status')} {_codes(done['generation'])}; the "
        f"careless restoration is {done['restoration'].get('status')} "
        f"{_codes(done['restoration'])}."
    )


def as_expected(done: dict[str, Any], work_ids: dict[str, int]) -> bool:
    claim, found = done["dispute"]["claimed"], done["altered"]["answer"]
    best = (found.get("near_copies") or [{}])[0]
    return bool(
        claim.get("status") == "disputed"
        and done["dispute"]["resolved"].get("status") == "rejected"
        and best.get("work_id") == work_ids["chelsea"]
        and best.get("altered")
        and done["generation"].get("status") == "blocked"
        and "output_copies_work" in _codes(done["generation"])
        and done["restoration"].get("status") == "pending_review"
        and "changed_outside_mask" in _codes(done["restoration"])
    )
