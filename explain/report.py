"""A restoration report: what changed, why, how sure, and whether the explanation holds."""

from collections.abc import Callable
from dataclasses import asdict, dataclass

import captum  # type: ignore[import-untyped]
import numpy as np
import torch

from explain.analyse import Analysis, analyse
from explain.canonical import json_bytes, npy_bytes, sha256
from explain.figures import linear_figure, map_figure
from explain.geometry import bbox, pooled, regions, ring
from explain.page import render_page
from explain.parts import RestorerParts
from explain.passes import BATCH_PIXELS
from explain.plan import plan
from explain.schemas import (
    SCHEMA,
    AttributionMap,
    Curve,
    Environment,
    Faithfulness,
    FileEntry,
    Hashes,
    HowSure,
    ModelFacts,
    NotOffered,
    Pooled,
    RandomisationCheck,
    Region,
    RestorationReport,
    Tolerance,
    Why,
)
from explain.sections import Files, reversibility, what_changed
from explain.targets import Targets, build_targets, to_tensor
from explain.uncertainty import spread
from explain.wording import LIMITS, NOT_OFFERED, TARGET_WORDS

NO_GRADIENTS = "not available: the model exposes no gradients"


@dataclass(frozen=True)
class ReportParams:
    """Every field is written into the report. The plan (explain/plan.py) keeps a report
    within `budget_units` forward passes at 512 px (0.46 CPU-s each when the budget was
    set: 20 s), except for the parts every report needs: at 512 px those alone cost about
    42.5 units (Saliency, the uncertainty reruns, the linear check of the fixed part, and
    zoomed curves of one map and both reference rankings: 31 forward passes), so
    Integrated Gradients and per-region maps are offered at 384 px and below, infidelity
    at 362 px and below, and every part at 256 px and below."""

    seed: int = 0
    ig_steps: int = 4  # Gauss-Legendre nodes; the completeness delta is recorded
    # captum's internal batch: 1 is the fastest at 512 px (4 steps 3.2 CPU-s, 3.5 at 2)
    ig_batch: int = 1
    max_regions: int = 3  # regions explained one by one (largest first)
    ring_px: int = 2  # the boundary ring: known pixels this close to the mask
    curve_fraction: float = 0.1  # deletion/insertion zoomed to this share of known pixels
    # Points after the first on each curve. 5 are every other point of a 10-step curve
    # (the same inputs) at half the cost. On 4 photographs x 3 masks at 256 px and 2 x 2
    # at 512 px (`python -m bench.bench_reports steps`), the AUCs moved by at most 0.023
    # and no curves check changed; one of 64 reasons did (a tie with the random ranking,
    # insertion AUC 0.896 against 0.900 at 10 steps, 0.901 against 0.900 at 5).
    curve_steps: int = 5
    infidelity_samples: int = 10
    noise_levels: float = 2.0  # sd of input perturbations, grey levels
    uncertainty_runs: int = 4
    # Pixels per batch of the no-gradient passes (curves, infidelity, uncertainty).
    batch_pixels: int = BATCH_PIXELS
    budget_units: float = 43.0  # forward passes at 512 px (0.46 CPU-s each): 20 s
    completeness_tolerance: float = 0.01
    randomisation_threshold: float = 0.5
    check_size: int = 256  # image size of the randomisation check
    pooled_grid: int = 16
    tolerance_scalar_abs: float = 1e-6
    tolerance_scalar_rel: float = 0.02
    tolerance_map_rel_norm: float = 0.02


@dataclass(frozen=True)
class ReportContext:
    call_id: int
    model_name: str
    model_version: str
    weights_sha256: str | None
    input_sha256: str
    mask_sha256: str
    output_sha256: str
    watermark_levels: int
    randomisation: RandomisationCheck | None
    randomisation_sha256: str | None


@dataclass(frozen=True)
class BuiltReport:
    report: RestorationReport
    json_bytes: bytes
    files: dict[str, tuple[str, bytes]]


def _pooled(values: np.ndarray, grid: int) -> Pooled:
    rows, cols, cells = pooled(values, grid)
    return Pooled(rows=rows, cols=cols, values=cells)


def _why(
    image: np.ndarray,
    mask: np.ndarray,
    targets: Targets,
    found: Analysis,
    params: ReportParams,
    files: Files,
    region_rows: list[Region],
    total: int,
) -> Why:
    in_ring = ring(mask, params.ring_px)
    maps = []
    for a in found.maps:
        values = a.pixel_map().astype(np.float32)
        stem = f"{a.method}_{a.target}_{a.region}"
        files[f"{stem}.npy"] = (
            "application/octet-stream",
            npy_bytes(values),
            False,
            f"{a.method} map of the {a.target} output's {a.region} target, float32 H x W",
        )
        files[f"{stem}.png"] = (
            "image/png",
            map_figure(image, values),
            False,
            f"|{a.method}| of the {a.target} output, log scale over 3 decades",
        )
        magnitude = np.abs(values)
        maps.append(
            AttributionMap(
                method=a.method,
                target=a.target,
                region=a.region,
                file=f"{stem}.npy",
                figure=f"{stem}.png",
                total=float(values.sum()),
                share_in_ring=float(magnitude[in_ring].sum() / max(magnitude.sum(), 1e-30)),
                pooled=_pooled(values, params.pooled_grid),
            )
        )
    return Why(
        available=True,
        reason=targets.parts.description,
        target=TARGET_WORDS,
        baseline="a black image (all known pixels 0), the same mask",
        regions=region_rows,
        regions_total=total,
        regions_capped=total > len(region_rows),
        maps=maps,
    )


def explain_restoration(
    image: np.ndarray,
    mask: np.ndarray,
    output: np.ndarray,
    parts: RestorerParts | None,
    restore: Callable[[np.ndarray, np.ndarray], np.ndarray],
    context: ReportContext,
    params: ReportParams = ReportParams(),
) -> BuiltReport:
    if image.shape != output.shape or image.ndim != 3 or mask.shape != image.shape[:2]:
        raise ValueError("image and output must be H x W x 3 and the mask H x W")
    mask = mask.astype(bool)
    files: Files = {}
    changed = what_changed(image, mask, output, context.watermark_levels, files)
    pieces = reversibility(image, mask, output, files)
    found = regions(mask)
    capped = found.order[: params.max_regions]
    region_rows = [
        Region(
            label=f"region{i + 1}",
            pixels=int((found.labels == k).sum()),
            bbox=bbox(found.labels == k),
        )
        for i, k in enumerate(capped)
    ]
    not_offered = [NotOffered(method=m, reason=r) for m, r in NOT_OFFERED]
    targets = build_targets(parts, found.labels, capped) if parts is not None else None
    explained = targets is not None and bool(mask.any())
    height, width = mask.shape
    if targets is not None and explained:
        budget = plan(
            height,
            width,
            params.budget_units,
            targets.parts.fixed is not None,
            params.uncertainty_runs,
            params.curve_steps,
            params.ig_steps,
            len(capped),
            params.infidelity_samples,
        )
        not_offered += [NotOffered(method=m, reason=r) for m, r in budget.refused.items()]
        analysis = analyse(targets, to_tensor(image), mask, budget, params, context.randomisation)
        why = _why(image, mask, targets, analysis, params, files, region_rows, len(found.order))
    else:
        analysis = Analysis()
        reason = NO_GRADIENTS if parts is None else "not available: nothing was damaged"
        why = Why(
            available=False,
            reason=reason,
            target=TARGET_WORDS,
            baseline="none",
            regions=region_rows,
            regions_total=len(found.order),
            regions_capped=len(found.order) > len(region_rows),
            maps=[],
        )
    uncertainty = spread(
        image,
        mask,
        targets,
        restore,
        params.uncertainty_runs,
        params.noise_levels,
        params.seed,
        params.batch_pixels,
    )
    top = float(uncertainty.max())
    files["uncertainty.npy"] = (
        "application/octet-stream",
        npy_bytes(uncertainty.astype(np.float32)),
        False,
        "spread of the fill, grey levels, float32 H x W",
    )
    files["uncertainty.png"] = (
        "image/png",
        linear_figure(image, uncertainty, top),
        False,
        "spread of the fill, linear scale from 0 to its maximum",
    )
    how_sure = HowSure(
        method=(
            f"standard deviation of the fill over {params.uncertainty_runs} reruns of the "
            + ("model's forward pass" if targets is not None else "restorer")
            + f", each with seeded Gaussian noise of sd {params.noise_levels} grey levels "
            "added to the input; mean over R, G, B"
        ),
        file="uncertainty.npy",
        figure="uncertainty.png",
        mean_spread=float(uncertainty[mask].mean()) if mask.any() else 0.0,
        max_spread=top,
        pooled=_pooled(uncertainty, params.pooled_grid),
        caveat=(
            "A measure of stability under small input changes, in grey levels: not a "
            "calibrated probability that the fill is right."
        ),
    )
    faithfulness = Faithfulness(
        available=explained,
        reason="measured" if explained else why.reason,
        curves=[
            Curve(
                ranking=c.ranking,
                target=c.target,
                fractions=c.fractions,
                deletion=c.deletion,
                insertion=c.insertion,
                deletion_auc=c.deletion_auc,
                insertion_auc=c.insertion_auc,
            )
            for c in analysis.curves
        ],
        verdicts=analysis.verdicts,
        randomisation_sha256=context.randomisation_sha256,
        randomisation=context.randomisation,
    )
    report = RestorationReport(
        schema_=SCHEMA,
        call_id=context.call_id,
        model=ModelFacts(
            name=context.model_name,
            version=context.model_version,
            weights_sha256=context.weights_sha256,
            gradients=parts is not None,
            decomposition=parts.description if parts is not None else NO_GRADIENTS,
            multiple=parts.multiple if parts is not None else None,
        ),
        hashes=Hashes(
            input_sha256=context.input_sha256,
            mask_sha256=context.mask_sha256,
            output_sha256=context.output_sha256,
            input_pixels_sha256=sha256(np.ascontiguousarray(image).tobytes()),
            mask_pixels_sha256=sha256(mask.astype(np.uint8).tobytes()),
            output_pixels_sha256=sha256(np.ascontiguousarray(output).tobytes()),
        ),
        params=asdict(params),
        environment=Environment(
            torch=torch.__version__,
            captum=captum.__version__,
            numpy=np.__version__,
            torch_threads=torch.get_num_threads(),
        ),
        what_changed=changed,
        reversibility=pieces,
        why=why,
        how_sure=how_sure,
        faithfulness=faithfulness,
        not_offered=not_offered,
        tolerance=Tolerance(
            scalar_abs=params.tolerance_scalar_abs,
            scalar_rel=params.tolerance_scalar_rel,
            map_rel_norm=params.tolerance_map_rel_norm,
            description=(
                "A rebuild matches when every exact file has the same SHA-256, every "
                "other value is equal, every number is within scalar_abs + scalar_rel x "
                "|stored|, and every map's pooled grid within map_rel_norm relative L2."
            ),
        ),
        files=[
            FileEntry(name=n, media_type=m, sha256=sha256(d), size=len(d), exact=e, description=t)
            for n, (m, d, e, t) in sorted(files.items())
        ],
        limits=LIMITS,
    )
    data = json_bytes(report)
    out = {name: (media, blob) for name, (media, blob, _, _) in files.items()}
    out["report.html"] = ("text/html; charset=utf-8", render_page(report, out))
    return BuiltReport(report=report, json_bytes=data, files=out)
