"""Cascading model-parameter randomisation (Adebayo et al. 2018), once per weights.

Blocks are reset from the output back to the input, cumulatively; after each, the maps
are recomputed and compared with the trained model's by Spearman rank correlation
within the mask's boundary ring. Over all pixels the ordering by distance from the mask
keeps the correlation high whatever the weights, so only the ring tells. A map that does
not change when the weights are destroyed does not explain what the weights learned.
The check depends on the weights, not on the photograph: it runs on a fixed image and
mask that it records.
"""

from typing import TYPE_CHECKING

import captum  # type: ignore[import-untyped]
import numpy as np
import torch
from scipy.stats import spearmanr  # type: ignore[import-untyped]
from skimage import data, transform
from torch import nn

from explain.attribute import Attribution, FixedCache, integrated_gradients, saliency
from explain.geometry import regions, ring, seeded_cracks
from explain.parts import RestorerParts
from explain.schemas import LayerCorrelation, RandomisationCheck, RandomisationSeries
from explain.targets import Targets, build_targets, to_tensor

if TYPE_CHECKING:
    from explain.report import ReportParams

MASK_FRACTION = 0.05


def check_image(size: int) -> np.ndarray:
    """skimage's astronaut, resized: a fixed, public photograph."""
    photo = data.astronaut()  # type: ignore[no-untyped-call]
    resized = transform.resize(photo, (size, size), anti_aliasing=True)  # type: ignore[no-untyped-call]
    image: np.ndarray = (np.asarray(resized) * 255.0).round().astype(np.uint8)
    return image


def cascade(network: nn.Module, probe: torch.Tensor, parts: RestorerParts) -> list[str]:
    """Names of the network's blocks with parameters, in the order the output sees them
    (last executed first). ModuleLists are opened: their members run at different depths."""
    blocks: dict[str, nn.Module] = {}
    for name, child in network.named_children():
        members = child.named_children() if isinstance(child, nn.ModuleList) else [("", child)]
        for sub, module in members:
            if any(True for _ in module.parameters()):
                blocks[f"{name}.{sub}" if sub else name] = module
    seen: list[str] = []
    handles = [
        module.register_forward_hook(
            lambda _m, _i, _o, n=name: seen.append(n) if n not in seen else None
        )
        for name, module in blocks.items()
    ]
    try:
        with torch.no_grad():
            parts.whole(probe)
    finally:
        for handle in handles:
            handle.remove()
    return list(reversed(seen))


def _randomise(module: nn.Module, seed: int) -> None:
    torch.manual_seed(seed)
    with torch.no_grad():
        for sub in module.modules():
            reset = getattr(sub, "reset_parameters", None)
            if callable(reset):
                reset()
            elif not list(sub.children()):
                for p in sub.parameters(recurse=False):
                    p.normal_(0.0, 0.05)


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return 0.0
    value = float(spearmanr(a, b).statistic)
    return 0.0 if value != value else value


def _maps(
    targets: Targets, rgb: torch.Tensor, steps: int, cache: FixedCache
) -> dict[tuple[str, str], np.ndarray]:
    found: list[Attribution] = saliency(targets, rgb, 0, cache)
    found += integrated_gradients(targets, rgb, 0, steps, 1, cache, completeness=False)
    return {(a.method, a.target): np.abs(a.pixel_map()) for a in found}


def randomisation_check(
    parts: RestorerParts, params: "ReportParams | None" = None
) -> RandomisationCheck:
    from explain.report import ReportParams

    params = params if params is not None else ReportParams()
    size = params.check_size
    image = check_image(size)
    mask = seeded_cracks(size, params.seed, MASK_FRACTION)
    targets = build_targets(parts, regions(mask).labels, [])
    rgb = to_tensor(image)
    in_ring = ring(mask, params.ring_px)
    network = parts.network
    saved = {k: v.detach().clone() for k, v in network.state_dict().items()}
    probe = torch.cat([rgb, targets.mask], dim=1)
    pad = (0, -size % parts.multiple, 0, -size % parts.multiple)
    probe = torch.nn.functional.pad(probe, pad, mode="reflect") if any(pad) else probe
    names = cascade(network, probe, parts)
    modules = dict(network.named_modules())
    # The parameter-free part's maps are computed once: resetting weights cannot move them.
    cache: FixedCache = {}
    original = _maps(targets, rgb, params.ig_steps, cache)
    layers: dict[tuple[str, str], list[LayerCorrelation]] = {k: [] for k in original}
    try:
        for step, name in enumerate(names):
            _randomise(modules[name], params.seed + 1000 + step)
            randomised = _maps(targets, rgb, params.ig_steps, cache)
            for key, before in original.items():
                rho = _spearman(before[in_ring], randomised[key][in_ring])
                layers[key].append(LayerCorrelation(layer=name, spearman=rho))
    finally:
        network.load_state_dict(saved)
    series = []
    for (method, target), found in sorted(layers.items()):
        final = found[-1].spearman if found else 1.0
        passed = abs(final) < params.randomisation_threshold
        reason = (
            f"with every block randomised the {target} map's Spearman correlation with the "
            f"trained map, within the {params.ring_px} px ring, is {final:.2f}; "
            + (
                f"below {params.randomisation_threshold}: the map depends on the weights"
                if passed
                else f"not below {params.randomisation_threshold}: the map barely depends on "
                "the weights (it shows the architecture, the mask or the input; a whole-output map "
                "of a model with a fixed part shows that part's stencil)"
            )
        )
        series.append(
            RandomisationSeries(
                method=method,
                target=target,
                layers=found,
                final_spearman=final,
                threshold=params.randomisation_threshold,
                verdict="passed" if passed else "failed",
                reason=reason,
            )
        )
    return RandomisationCheck(
        schema_="randomisation-check/1",
        image="skimage.data.astronaut, resized with anti-aliasing",
        size=size,
        mask_seed=params.seed,
        mask_fraction=MASK_FRACTION,
        ring_px=params.ring_px,
        ring_pixels=int(in_ring.sum()),
        cascade=names,
        series=series,
        torch_version=torch.__version__,
        captum_version=captum.__version__,
        description=(
            "Cascading parameter randomisation: blocks reset from the output back, "
            f"cumulatively; Saliency and Integrated Gradients ({params.ig_steps} "
            "Gauss-Legendre steps) of the whole-mask target recomputed after each."
        ),
    )
