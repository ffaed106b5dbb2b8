"""What a report shares between its parts: the image's and the baseline's values run
once, fewer curve steps on the same inputs, the fixed part's linear form in infidelity."""

import numpy as np
import torch

from explain.analyse import _forwards
from explain.attribute import integrated_gradients, saliency
from explain.faithfulness import Memo, curves, infidelity_of, order
from explain.geometry import regions
from explain.parts import RestorerParts
from explain.passes import MaskTargets, fixed_gradient, probes
from explain.targets import Targets, build_targets, to_tensor
from tests.explain.models import builtin_targets, case, linear_parts


class Counted:
    """A forward pass that counts the inputs it runs without gradients."""

    def __init__(self, parts: RestorerParts) -> None:
        self.parts = parts
        self.runs = 0

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        if not torch.is_grad_enabled():
            self.runs += x.shape[0]
        out: torch.Tensor = self.parts.whole(x)
        return out


def counted_targets() -> tuple[Targets, Counted, torch.Tensor, np.ndarray]:
    targets, rgb, ranked = builtin_targets()
    counted = Counted(targets.parts)
    parts = RestorerParts(
        targets.parts.network,
        counted,
        targets.parts.fixed,
        targets.parts.multiple,
        targets.parts.description,
    )
    return Targets(parts, targets.mask, targets.weights, targets.names), counted, rgb, ranked


def test_saliency_gives_the_image_value_and_the_curves_run_only_the_baseline_besides() -> None:
    targets, counted, rgb, ranked = counted_targets()
    passes = MaskTargets(targets, rgb)
    cache: dict[tuple[str, int], torch.Tensor] = {}
    saliency(targets, rgb, 0, cache, passes)
    assert passes.use_linear(cache[("saliency", 0)], probes(rgb, ranked, 0.1))
    assert counted.runs == 0
    image, black = passes.whole_ends()
    assert counted.runs == 1
    assert abs(image - float(targets.whole_mask(rgb)[0])) <= 1e-6 * abs(image)
    assert abs(black - float(targets.whole_mask(torch.zeros_like(rgb))[0])) <= 1e-6
    counted.runs = 0
    rankings = {"random": (ranked, ["whole", "correction"])}
    found = curves(targets, rgb, rankings, 0.1, 4, passes)
    assert counted.runs == 2 * 4  # a deletion and an insertion a step, no ends again
    assert {c.target for c in found} == {"whole", "correction"}


def test_ig_completeness_from_the_reports_ends_is_captums() -> None:
    targets, rgb, ranked = builtin_targets()
    passes = MaskTargets(targets, rgb)
    assert passes.use_linear(fixed_gradient(targets, rgb), probes(rgb, ranked, 0.1))
    own = integrated_gradients(targets, rgb, 0, 2, 1)
    shared = integrated_gradients(targets, rgb, 0, 2, 1, ends=passes)
    for a, b in zip(own, shared, strict=True):
        assert np.array_equal(a.raw, b.raw)
        assert a.difference is not None and b.difference is not None
        assert a.delta is not None and b.delta is not None
        assert abs(a.difference - b.difference) < 1e-5
        assert abs(a.delta - b.delta) < 1e-5
    none = integrated_gradients(targets, rgb, 0, 2, 1, completeness=False)
    assert all(a.delta is None and a.difference is None for a in none)


def test_fewer_curve_steps_are_every_other_point_of_the_same_curve() -> None:
    parts = linear_parts()
    image, mask = case()
    targets = build_targets(parts, regions(mask).labels, [])
    rgb = to_tensor(image)
    rankings = {"random": (order(np.zeros(mask.shape), ~mask, 0), ["whole"])}
    (fine,) = curves(targets, rgb, rankings, 0.1, 10)
    (coarse,) = curves(targets, rgb, rankings, 0.1, 5)
    assert np.allclose(coarse.fractions, fine.fractions[::2])
    assert np.allclose(coarse.deletion, fine.deletion[::2], atol=1e-9)
    assert np.allclose(coarse.insertion, fine.insertion[::2], atol=1e-9)
    assert abs(coarse.deletion_auc - fine.deletion_auc) < 0.02


def test_infidelity_with_the_image_remembered_and_the_linear_fill_is_unchanged() -> None:
    targets, rgb, ranked = builtin_targets()
    gradient = fixed_gradient(targets, rgb)
    passes = MaskTargets(targets, rgb)
    assert passes.use_linear(gradient, probes(rgb, ranked, 0.1))
    direct = MaskTargets(targets, rgb)
    plain = {
        "whole": Memo(lambda x: direct.whole(x)[:, None]),
        "correction": Memo(lambda x: (direct.whole(x) - direct.fixed(x))[:, None]),
    }
    shared = _forwards(passes)
    attribution = np.random.default_rng(1).normal(0.0, 1.0, (3, *rgb.shape[-2:]))
    a = infidelity_of(plain["whole"], rgb, attribution, 6, 2.0 / 255.0, 0)
    b = infidelity_of(shared["whole"], rgb, attribution, 6, 2.0 / 255.0, 0)
    assert a > 0 and abs(a - b) <= 1e-6 * a
    # The correction's values, remembered at the image and with the fill in its linear
    # form, as direct runs give them (its infidelity here is at float rounding's level).
    batch = torch.cat([rgb, *probes(rgb, ranked, 0.05)])
    assert torch.allclose(shared["correction"](batch), plain["correction"](batch), atol=1e-5)
    assert torch.allclose(shared["correction"](rgb), plain["correction"](rgb), atol=1e-5)
    assert torch.allclose(passes.fixed(batch), direct.fixed(batch), rtol=1e-5)
