"""How sure the fill is: its spread when the known pixels are nudged by sensor-like noise.

Not a calibrated probability: a spread of a few grey levels says the fill is stable under
small changes of the input, not that it is right.
"""

from collections.abc import Callable

import numpy as np
import torch

from explain.passes import BATCH_PIXELS, batch_size
from explain.targets import Targets, to_tensor


def spread(
    image: np.ndarray,
    mask: np.ndarray,
    targets: Targets | None,
    restore: Callable[[np.ndarray, np.ndarray], np.ndarray],
    runs: int,
    levels: float,
    seed: int,
    batch_pixels: int = BATCH_PIXELS,
) -> np.ndarray:
    """Per damaged pixel, the standard deviation of the fill over `runs` reruns, in grey
    levels (mean over the three channels); 0 outside the mask."""
    rng = np.random.default_rng(seed)
    noisy = [
        np.clip(image.astype(np.float64) + rng.normal(0.0, levels, image.shape), 0, 255)
        .round()
        .astype(np.uint8)
        for _ in range(runs)
    ]
    fills: list[np.ndarray] = []
    if targets is None:
        fills = [restore(x, mask).astype(np.float64) for x in noisy]
    else:
        height, width = mask.shape
        size = batch_size(height, width, batch_pixels)
        for start in range(0, runs, size):
            batch = torch.cat([to_tensor(x) for x in noisy[start : start + size]])
            out = targets.output_no_grad(batch).permute(0, 2, 3, 1).numpy()
            fills += [o.astype(np.float64) * 255.0 for o in out]
    stack = np.stack(fills)
    result: np.ndarray = np.where(mask, stack.std(axis=0).mean(axis=2), 0.0)
    return result
