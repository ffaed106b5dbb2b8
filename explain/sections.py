"""What changed, and the reversibility package: input, mask and fill apart again."""

import numpy as np

from explain.canonical import npy_bytes, png_bytes, sha256
from explain.figures import changed_figure
from explain.geometry import changed_levels
from explain.schemas import Piece, Reversibility, WhatChanged

Files = dict[str, tuple[str, bytes, bool, str]]


def what_changed(
    image: np.ndarray, mask: np.ndarray, output: np.ndarray, watermark: int, files: Files
) -> WhatChanged:
    levels = changed_levels(image, output)
    outside = levels[~mask]
    histogram = np.bincount(outside, minlength=256)[: max(watermark, 8) + 1]
    beyond = int((outside > watermark).sum())
    files["changed.npy"] = (
        "application/octet-stream",
        npy_bytes(levels),
        True,
        "per pixel, the largest change over R, G, B between input and output, in grey levels",
    )
    files["changed.png"] = (
        "image/png",
        changed_figure(image, mask, levels, watermark),
        True,
        "changed pixels: blue inside the mask, yellow outside within the watermark's "
        "levels, red outside beyond them",
    )
    return WhatChanged(
        height=int(mask.shape[0]),
        width=int(mask.shape[1]),
        mask_pixels=int(mask.sum()),
        mask_fraction=float(mask.mean()),
        changed_inside_mask=int((levels[mask] > 0).sum()),
        changed_outside_mask=int((outside > 0).sum()),
        outside_within_watermark=int(((outside > 0) & (outside <= watermark)).sum()),
        outside_beyond_watermark=beyond,
        max_change_outside=int(outside.max()) if outside.size else 0,
        watermark_levels=watermark,
        outside_histogram=[int(v) for v in histogram],
        explanation=(
            "The restorer replaces only the damaged pixels; outside the mask the stored "
            "output differs from the input by the invisible watermark of the labelling "
            f"stage, which changes a pixel by at most {watermark} grey level(s) per "
            "channel. outside_histogram[k] counts outside pixels changed by exactly k "
            "levels. "
            + (
                f"{beyond} pixel(s) outside the mask changed by more than that: not "
                "explained by the watermark."
                if beyond
                else "No pixel outside the mask changed by more than that."
            )
        ),
    )


def reversibility(
    image: np.ndarray, mask: np.ndarray, output: np.ndarray, files: Files
) -> Reversibility:
    """Input, mask, fill (RGBA, alpha = mask) and the outside-the-mask difference."""
    alpha = np.where(mask, 255, 0).astype(np.uint8)
    fill = np.concatenate([np.where(mask[..., None], output, 0), alpha[..., None]], axis=2)
    delta = np.where(mask[..., None], 0, output.astype(np.int16) - image.astype(np.int16))
    pieces = {
        "input.png": ("the input as decoded, RGB", png_bytes(image)),
        "mask.png": ("the mask: 255 damaged, 0 original", png_bytes(alpha)),
        "fill.png": ("the fill layer: RGBA, alpha 255 on the damaged pixels", png_bytes(fill)),
        "outside_delta.npy": (
            "int16 H x W x 3: output minus input outside the mask (the watermark)",
            npy_bytes(delta.astype(np.int16)),
        ),
    }
    for name, (role, data) in pieces.items():
        media = "image/png" if name.endswith(".png") else "application/octet-stream"
        files[name] = (media, data, True, role)
    recombined = np.where(mask[..., None], fill[..., :3], image.astype(np.int16) + delta)
    return Reversibility(
        pieces=[Piece(name=n, sha256=sha256(d), role=r) for n, (r, d) in pieces.items()],
        recombine=(
            "output = where(mask.png == 255, fill.png[RGB], input.png + outside_delta.npy); "
            "the original is input.png, the conservator's intervention is fill.png alone, "
            "and removing it means taking input.png with mask.png as the record of loss"
        ),
        recombines_exactly=bool(np.array_equal(recombined, output.astype(np.int16))),
    )
