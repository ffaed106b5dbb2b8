"""The built-in AI-made-image detector, held out by photograph, against the baseline.

    python bench/bench_detector.py [--folds 4] [--real 16] [--per-kind 3] [--skip-folds]

Three measurements, all on photographs no crop of which (and no fake made from which)
was trained on:

1. The shipped weights (governance/builtin/weights/detector.pt) on DETECTOR_HELD_OUT.
2. Whole photographs never trained on (the held-out ones, and the five whose notes state
   no licence, measured only), clean, re-encoded, shrunk and enlarged.
3. Cross-validation by photograph: the licensed photographs in `--folds` groups; each
   group is held out in turn, and a detector (and the baseline) trained on the others
   with the committed training code is measured on it. Figures pool the groups.

Test images: 256 px regions of the held-out photographs (real), AI-made images made from
other regions of them (re-upsampled nearest/bilinear/bicubic/Lanczos, the autoencoder
trained on the training photographs only, the built-in generator's samples of their
class, which the generator was trained on: it was trained on every licensed photograph),
and regions filled by the built-in restorer. Conditions apply to whole test images.
The baseline: Durall-style 48-bin azimuthal log power + logistic regression, trained on
the same augmented crops, scored over the same crops per image.
"""

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_detector_cases import (
    CONDITIONS,
    TestImage,
    condition,
    fit_baseline,
    held_out_images,
    image_scorer,
    restored_images,
)
from governance.builtin.detector import BuiltinDetector, DetectorNet, features
from governance.builtin.detector_data import jpeg, rescale
from governance.builtin.detector_manifest import DETECTOR_HELD_OUT, DETECTOR_TRAINING
from governance.builtin.photos import ALL_PHOTOS, LICENSED, load_photo
from governance.builtin.train_detector import (
    SEED,
    Sources,
    fit_net,
    prepare_sources,
    training_crops,
)
from governance.detectors.metrics import auc, tpr_at_fpr

Scorer = Callable[[np.ndarray], float]
TEST_SEED = 4242


Result = tuple[np.ndarray, np.ndarray, np.ndarray]  # scores, labels (1: AI-made), kinds


def evaluate(
    scorers: dict[str, Scorer], images: list[TestImage], restored: list[TestImage]
) -> dict[str, dict[str, Result]]:
    """Per scorer, per condition (and 'restorations', clean): scores, labels and kinds."""
    real = [i for i in images if not i.synthetic]
    sets = {name: images for name in CONDITIONS} | {"restorations": real + restored}
    out: dict[str, dict[str, Result]] = {}
    for label, scorer in scorers.items():
        out[label] = {}
        for name, chosen in sets.items():
            shown = "clean" if name == "restorations" else name
            s = np.array([scorer(condition(i.pixels, shown)) for i in chosen])
            y = np.array([1 if i.synthetic else 0 for i in chosen])
            out[label][name] = (s, y, np.array([i.kind for i in chosen]))
    return out


def pool(parts: list[dict[str, dict[str, Result]]]) -> dict[str, dict[str, Result]]:
    out: dict[str, dict[str, Result]] = {}
    for label, per in parts[0].items():
        out[label] = {}
        for name in per:
            pieces = [p[label][name] for p in parts]
            out[label][name] = (
                np.concatenate([p[0] for p in pieces]),
                np.concatenate([p[1] for p in pieces]),
                np.concatenate([p[2] for p in pieces]),
            )
    return out


def report(title: str, results: dict[str, dict[str, Result]]) -> None:
    print(f"\n{title}")
    print(f"  {'detector':<10} {'condition':<22} {'AUC':>6} {'TPR@5%FPR':>10}  AUC per kind")
    for label, per in results.items():
        for name, (s, y, kinds) in per.items():
            line = f"  {label:<10} {name:<22} {auc(s, y):6.3f} {tpr_at_fpr(s, y, 0.05):10.2f}"
            if name != "restorations":
                real = s[y == 0]
                parts = []
                for kind in dict.fromkeys(kinds[y == 1]):
                    fake = s[kinds == kind]
                    both = np.concatenate([real, fake])
                    marks = np.concatenate([np.zeros(len(real)), np.ones(len(fake))])
                    parts.append(f"{kind}={auc(both, marks):.2f}")
                line += "  " + " ".join(parts)
            print(line)


def net_scorer(net: DetectorNet) -> Scorer:
    return image_scorer(lambda grey: net(features(grey)))


def counted(images: list[TestImage], restored: list[TestImage]) -> str:
    real = sum(not i.synthetic for i in images)
    return f"{real} real, {len(images) - real} AI-made, {len(restored)} restored test images"


def shipped(args: argparse.Namespace) -> None:
    started = time.monotonic()
    sources = prepare_sources(DETECTOR_HELD_OUT, SEED + 100)
    # The fakes' decoder is the shipped training's kind: never trained on these photographs.
    sources = Sources(prepare_sources(DETECTOR_TRAINING, SEED).decoder, sources.samples)
    images = held_out_images(DETECTOR_HELD_OUT, sources, TEST_SEED, args.real, args.per_kind)
    restored = restored_images(DETECTOR_HELD_OUT, TEST_SEED, args.real)
    detector = BuiltinDetector.load(args.weights)
    results = evaluate({"built-in": net_scorer(detector.net)}, images, restored)
    report(
        f"1. shipped weights on {', '.join(DETECTOR_HELD_OUT)}: {counted(images, restored)} "
        f"({time.monotonic() - started:.0f}s)",
        results,
    )


def whole_photographs(args: argparse.Namespace) -> None:
    """Whole photographs never trained on, as a deployment would see them: the held-out
    ones and the five whose notes state no licence (measured, never trained on), clean,
    re-encoded, shrunk, and enlarged (which this detector reads as AI-made)."""
    detector = BuiltinDetector.load(args.weights)
    names = [*DETECTOR_HELD_OUT, *(n for n in ALL_PHOTOS if n not in LICENSED)]
    edits: dict[str, Callable[[np.ndarray], np.ndarray]] = {
        "clean": lambda p: p,
        "jpeg_q75": lambda p: jpeg(p, 75),
        "jpeg_q50": lambda p: jpeg(p, 50),
        "rescale_0.5": lambda p: rescale(p, 0.5),
        "rescale_0.75": lambda p: rescale(p, 0.75),
        "enlarged_1.2": lambda p: rescale(p, 1.2),
        "enlarged_1.5": lambda p: rescale(p, 1.5),
    }
    print("\n2. whole real photographs never trained on: raw score (flagged at 0.5 marked *)")
    print(f"  {'photograph':<22}" + "".join(f"{e:>14}" for e in edits))
    for name in names:
        photo = np.asarray(load_photo(name))
        cells = []
        for edit in edits.values():
            score = detector.score(edit(photo))
            cells.append(f"{score:13.3f}{'*' if score >= 0.5 else ' '}")
        print(f"  {name:<22}" + "".join(cells))


def cross_validation(args: argparse.Namespace) -> None:
    started = time.monotonic()
    names = list(LICENSED)
    groups = [tuple(names[i :: args.folds]) for i in range(args.folds)]
    parts = []
    all_images: list[TestImage] = []
    all_restored: list[TestImage] = []
    for fold, held in enumerate(groups):
        training = tuple(n for n in names if n not in held)
        sources = prepare_sources(training, SEED + fold)
        grey, labels = training_crops(training, sources, SEED + fold + 1)
        net = fit_net(features(grey), labels, SEED + fold + 2, args.steps)
        baseline = fit_baseline(grey, labels)
        # Fakes of the held-out photographs: the fold's decoder (never trained on them),
        # and the generator's samples of their own classes.
        held_samples = prepare_sources(held, SEED + 100 + fold).samples
        test_sources = Sources(sources.decoder, held_samples)
        images = held_out_images(held, test_sources, TEST_SEED + fold, args.real, args.per_kind)
        restored = restored_images(held, TEST_SEED + fold, args.real)
        scorers = {"built-in": net_scorer(net), "baseline": image_scorer(baseline)}
        parts.append(evaluate(scorers, images, restored))
        all_images += images
        all_restored += restored
        print(f"  fold {fold + 1}: held out {', '.join(held)} ({time.monotonic() - started:.0f}s)")
    report(
        f"3. cross-validation by photograph, {args.folds} groups pooled: "
        f"{counted(all_images, all_restored)} ({time.monotonic() - started:.0f}s)",
        pool(parts),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--folds", type=int, default=4)
    parser.add_argument("--real", type=int, default=16, help="real test images per photograph")
    parser.add_argument("--per-kind", type=int, default=3, help="fakes per kind per photograph")
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--weights", type=Path, default=None)
    parser.add_argument("--skip-folds", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(2)
    shipped(args)
    whole_photographs(args)
    if not args.skip_folds:
        cross_validation(args)


if __name__ == "__main__":
    main()
