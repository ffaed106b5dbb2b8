"""The curves' shortcuts: the fixed part's linear form only where it holds, the plan."""

import numpy as np
import torch
import torch.nn.functional as F

from explain.attribute import integrated_gradients, linear_integrated_gradients
from explain.parts import RestorerParts
from explain.passes import MaskTargets, fixed_gradient, probes
from explain.plan import plan
from explain.report import ReportParams
from explain.targets import Targets
from tests.explain.models import builtin_targets


def test_the_harmonic_fill_takes_its_linear_form_and_it_matches_a_direct_run() -> None:
    targets, rgb, ranked = builtin_targets()
    linear = MaskTargets(targets, rgb)
    assert linear.use_linear(fixed_gradient(targets, rgb), probes(rgb, ranked, 0.1))
    inputs = [
        rgb * (torch.rand(1, 1, *rgb.shape[-2:], generator=torch.Generator().manual_seed(k)) > 0.3)
        for k in range(3)
    ]
    direct = MaskTargets(targets, rgb).values(inputs)
    for (w1, c1), (w2, c2) in zip(linear.values(inputs), direct, strict=True):
        assert w1 == w2 and c1 is not None and c2 is not None
        assert abs(c1 - c2) < 1e-5


def test_a_non_linear_fixed_part_is_run_for_every_input() -> None:
    targets, rgb, ranked = builtin_targets()
    squared = RestorerParts(
        targets.parts.network,
        targets.parts.whole,
        # Squares of the known pixels spread over the holes: not linear in the image.
        lambda x: F.avg_pool2d(x[:, :3] ** 2, 5, stride=1, padding=2),
        targets.parts.multiple,
        "a fixed part that is not linear",
    )
    bent = Targets(squared, targets.mask, targets.weights, targets.names)
    passes = MaskTargets(bent, rgb)
    assert not passes.use_linear(fixed_gradient(bent, rgb), probes(rgb, ranked, 0.1))
    x = probes(rgb, ranked, 0.1)[0]
    ((_, correction),) = passes.values([x])
    expected = float(bent.whole_mask(x)[0]) - float(bent.fixed_mask(x)[0])
    assert correction == expected


def test_the_closed_form_ig_of_the_fill_agrees_with_captum() -> None:
    targets, rgb, _ = builtin_targets()
    closed = linear_integrated_gradients(MaskTargets(targets, rgb), fixed_gradient(targets, rgb))
    cache = {("integrated_gradients", 0): closed}
    run = integrated_gradients(targets, rgb, 0, 4, 1)
    shortcut = integrated_gradients(targets, rgb, 0, 4, 1, cache)
    for a, b in zip(run, shortcut, strict=True):
        assert np.allclose(a.raw, b.raw, atol=1e-6)
        assert a.difference is not None and b.difference is not None
        assert abs(a.difference - b.difference) < 1e-4


def test_the_plan_is_fixed_by_the_size_and_offers_less_at_512_px() -> None:
    p = ReportParams()

    def made(size: int, steps: int = p.curve_steps) -> tuple[list[str], list[str], float]:
        found = plan(
            size,
            size,
            p.budget_units,
            True,
            p.uncertainty_runs,
            steps,
            p.ig_steps,
            p.max_regions,
            p.infidelity_samples,
        )
        return found.chosen, sorted(found.refused), found.spent

    assert made(512) == made(512)
    chosen, refused, spent = made(512)
    assert "curves/references" in chosen and "curves/saliency/correction" in chosen
    assert "integrated_gradients/mask" in refused and "infidelity/whole" in refused
    # The parts every report needs fit the budget at 512 px (they did not at 10 steps).
    assert spent <= p.budget_units < made(512, 10)[2]
    chosen, refused, spent = made(256)
    assert refused == [] and "curves/integrated_gradients/correction" in chosen
    assert spent <= p.budget_units
