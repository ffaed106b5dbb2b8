"""Built-in inpainting against OpenCV's classical methods on the held-out photographs.

    python bench/bench_inpainting.py [--masks 10] [--size 512] [--weights PATH]

Each held-out photograph (never seen in restoration training) is damaged with seeded
`damage_mask` masks and restored by each method. PSNR and SSIM are computed inside the
mask only (the rest of the image is the input's, for every method), averaged over masks.
"""

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
from PIL import Image
from skimage.metrics import structural_similarity

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from governance.builtin.damage import damage_mask
from governance.builtin.inpainting import BuiltinInpainter
from governance.builtin.photos import HELD_OUT, load_photo

Method = Callable[[np.ndarray, np.ndarray], np.ndarray]
MASK_SEED = 7000


def opencv(flag: int) -> Method:
    def run(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
        restored = cv2.inpaint(image, mask.astype(np.uint8) * 255, 3, flag)
        return np.where(mask[:, :, None], restored, image)

    return run


def masked_psnr(truth: np.ndarray, restored: np.ndarray, mask: np.ndarray) -> float:
    error = truth[mask].astype(np.float64) - restored[mask].astype(np.float64)
    mse = float(np.mean(error**2))
    return float("inf") if mse == 0 else 10.0 * np.log10(255.0**2 / mse)


def masked_ssim(truth: np.ndarray, restored: np.ndarray, mask: np.ndarray) -> float:
    _, full = structural_similarity(truth, restored, data_range=255, channel_axis=-1, full=True)
    return float(full[mask].mean())


def resized(image: np.ndarray, size: int) -> np.ndarray:
    """The photograph with its longer side `size` (0: as shipped)."""
    h, w = image.shape[:2]
    if size <= 0 or max(h, w) == size:
        return image
    scale = size / max(h, w)
    pil = Image.fromarray(image).resize(
        (round(w * scale), round(h * scale)), Image.Resampling.LANCZOS
    )
    return np.asarray(pil)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--masks", type=int, default=10, help="damage masks per photograph")
    parser.add_argument("--size", type=int, default=512, help="longer side; 0 keeps it")
    parser.add_argument("--weights", type=Path, default=None, help="restoration weights")
    args = parser.parse_args()

    builtin = BuiltinInpainter.load(args.weights)
    methods: dict[str, Method] = {
        "builtin": lambda image, mask: builtin.restore(image, mask),
        "telea": opencv(cv2.INPAINT_TELEA),
        "ns": opencv(cv2.INPAINT_NS),
    }
    print(f"{'photograph':<12} {'size':>9} {'method':<8} {'PSNR dB':>8} {'SSIM':>7} {'s/image':>8}")
    totals: dict[str, list[tuple[float, float]]] = {name: [] for name in methods}
    for photo in HELD_OUT:
        truth = resized(load_photo(photo), args.size)
        h, w = truth.shape[:2]
        masks = [damage_mask(np.random.default_rng(MASK_SEED + i), h, w) for i in range(args.masks)]
        for name, method in methods.items():
            psnrs, ssims, seconds = [], [], 0.0
            for mask in masks:
                damaged = np.where(mask[:, :, None], 0, truth).astype(np.uint8)
                started = time.perf_counter()
                restored = method(damaged, mask)
                seconds += time.perf_counter() - started
                assert np.array_equal(restored[~mask], truth[~mask])
                psnrs.append(masked_psnr(truth, restored, mask))
                ssims.append(masked_ssim(truth, restored, mask))
            psnr, ssim = float(np.mean(psnrs)), float(np.mean(ssims))
            totals[name].append((psnr, ssim))
            print(
                f"{photo:<12} {f'{w}x{h}':>9} {name:<8} {psnr:>8.2f} {ssim:>7.4f} "
                f"{seconds / len(masks):>8.3f}"
            )
    print()
    for name, rows in totals.items():
        psnr, ssim = np.mean(rows, axis=0)
        print(f"{'mean':<12} {'':>9} {name:<8} {psnr:>8.2f} {ssim:>7.4f}")


if __name__ == "__main__":
    main()
