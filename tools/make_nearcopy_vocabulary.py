"""Regenerates rights/data/nearcopy_vocabulary.npy: the visual words of near-copy matching.

    python tools/make_nearcopy_vocabulary.py [--seed 0] [--iterations 12]

The vocabulary is a product of two codebooks: each ORB descriptor (256 bits) is cut in
two halves of 128 bits, and each half gets the nearest of CODEBOOK_SIZE binary centroids
(k-majority clustering: assign by Hamming distance, then each centroid bit is the
majority of its members' bits). A word is the pair, one of CODEBOOK_SIZE**2 = 1,048,576:
a fine partition (short posting lists at a million works) from a 32 KB file, and each
codebook has about a hundred training descriptors per centroid, where a flat vocabulary
of a million words would need a hundred million to train and 32 MB to ship.

Training descriptors come from scikit-image's bundled photographs of the bench's tuning
split only (bench/bench_nearcopy_cases.py: TUNING_PHOTOS), so the held-out split's photographs
are never seen by the vocabulary. Each photograph is taken as it is and turned, shrunk,
mirrored, inverted and re-encoded, as queries are. Seeded: the same seed gives the same
file, byte for byte.
"""

import argparse
import hashlib
import sys
from pathlib import Path

import cv2
import faiss
import numpy as np
from PIL import Image, ImageOps

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_nearcopy_cases import TUNING_PHOTOS, jpeg, photo  # noqa: E402
from rights.nearcopy.features import Variant, extract  # noqa: E402
from rights.nearcopy.vocabulary import CODEBOOK_SIZE, HALF_BYTES, VOCABULARY_PATH  # noqa: E402

PER_VIEW = 2000


def views(image: Image.Image) -> list[tuple[Image.Image, Variant]]:
    """The photograph as queries will show it."""
    small = image.resize((image.width // 2, image.height // 2), Image.Resampling.BILINEAR)
    return [
        (image, Variant.PLAIN),
        (image.rotate(30, Image.Resampling.BICUBIC, expand=True), Variant.PLAIN),
        (image.rotate(-75, Image.Resampling.BICUBIC, expand=True), Variant.PLAIN),
        (small, Variant.PLAIN),
        (jpeg(image, 40), Variant.PLAIN),
        (ImageOps.grayscale(image), Variant.MIRRORED),
        (image, Variant.INVERTED),
    ]


def training_descriptors() -> np.ndarray:
    rows = []
    for name in TUNING_PHOTOS:
        for view, variant in views(photo(name)):
            features = extract(view, PER_VIEW, variant)
            rows.append(features.descriptors)
            print(f"{name}: {len(features)} descriptors ({variant})", file=sys.stderr)
    return np.concatenate(rows)


def k_majority(data: np.ndarray, k: int, iterations: int, rng: np.random.Generator) -> np.ndarray:
    """k binary centroids of the rows of `data` (uint8 codes)."""
    bits = data.shape[1] * 8
    centroids = data[rng.choice(len(data), size=k, replace=False)].copy()
    unpacked = np.unpackbits(data, axis=1).astype(np.int32)
    for step in range(iterations):
        index = faiss.IndexBinaryFlat(bits)
        index.add(centroids)
        distances, nearest = index.search(data, 1)
        nearest = nearest[:, 0]
        counts = np.bincount(nearest, minlength=k)
        sums = np.zeros((k, bits), dtype=np.int64)
        np.add.at(sums, nearest, unpacked)
        majority = np.packbits((2 * sums > counts[:, None]).astype(np.uint8), axis=1)
        # An empty centroid restarts on the row farthest from its own centroid.
        empty = np.flatnonzero(counts == 0)
        far = np.argsort(-distances[:, 0], kind="stable")[: len(empty)]
        majority[empty] = data[far]
        centroids = majority
        print(
            f"iteration {step + 1}: mean distance {distances.mean():.2f} bits, {len(empty)} empty",
            file=sys.stderr,
        )
    return centroids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--iterations", type=int, default=12)
    parser.add_argument("--out", type=Path, default=VOCABULARY_PATH)
    parser.add_argument("--codebook-size", type=int, default=CODEBOOK_SIZE)
    args = parser.parse_args()
    cv2.setNumThreads(1)
    faiss.omp_set_num_threads(1)
    rng = np.random.default_rng(args.seed)
    descriptors = training_descriptors()
    print(f"{len(descriptors)} training descriptors", file=sys.stderr)
    halves = [
        k_majority(
            np.ascontiguousarray(descriptors[:, h * HALF_BYTES : (h + 1) * HALF_BYTES]),
            args.codebook_size,
            args.iterations,
            rng,
        )
        for h in range(2)
    ]
    vocabulary = np.stack(halves)  # 2 x CODEBOOK_SIZE x HALF_BYTES
    np.save(args.out, vocabulary, allow_pickle=False)
    digest = hashlib.sha256(args.out.read_bytes()).hexdigest()[:16]
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes, sha256 {digest}...)")


if __name__ == "__main__":
    main()
