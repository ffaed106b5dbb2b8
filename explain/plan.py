"""Which parts of the report fit the time budget at this image size.

Costs are in forward passes of the built-in model at 512 x 512 (no gradient, channels
last), scaled by the pixel count: the plan depends only on the image size and the
parameters, never on how busy the machine is, so a rebuild makes the same plan.
"""

from dataclasses import dataclass, field

from explain.passes import batch_size

REFERENCE_PIXELS = 512 * 512
# What a unit is: one forward pass at 512 px, 0.451 and 0.475 CPU-s on one thread in two
# runs of `python -m bench.bench_reports units 512` (load average 2.1-2.5, shared cores).
# The default budget (ReportParams.budget_units, 43) is 20 s of them.
FORWARD_CPU_S = 0.46
# The same runs, in forward passes (means of the two; each part's row in the bench):
UNCERTAINTY_RUN = 1.0  # "uncertainty, 4 runs" 3.73 and 4.17, per run
SALIENCY = 3.05  # "saliency, whole only" 2.93 and 3.15 (forward + backward)
FIXED_GRADIENT = 1.15  # "saliency, whole and fixed" less "whole only": 1.06 and 1.24
FIXED_PASS = 0.27  # "fixed part alone", no gradient
# "curve pass": one perturbed input, a forward pass with the fixed part in its linear
# form (0.87, 0.99).
CURVE_PASS = 1.0
# Where explain/passes.py batches the perturbed inputs (below 512 px) a pass costs less
# than pixel scaling says: at 256 px, 4 to a batch, 0.109 CPU-s against 0.477 for one
# 512 px pass in the same run (0.23, not 0.25).
BATCHED_CURVE_PASS = 0.91
CURVE_ENDS = 2.0  # the image and the black baseline, once for all rankings
LINEAR_CHECK = 1.43  # "linear check (4 probes)": the fixed part's linear form checked
IG_STEP = 3.7  # "IG 4 steps, whole, fixed in closed form" 15.64, less the closed form, / 4
IG_FIXED = 0.79  # "IG fixed part closed form" (once, not per step)
# "infidelity, 10 samples, 2 targets x 3 maps": 14.1 and 15.8; the model runs (11 whole,
# 11 fixed) explain 14.0, the rest is captum's work per map and target.
INFIDELITY_MAP = 0.16


@dataclass
class Plan:
    budget: float
    scale: float
    spent: float = 0.0
    chosen: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)

    def take(self, name: str, units: float, required: bool = False) -> bool:
        cost = units * self.scale
        if required or self.spent + cost <= self.budget:
            self.spent += cost
            self.chosen.append(name)
            return True
        self.refused[name] = (
            f"over the time budget at this size: about {cost:.0f} more forward-pass "
            f"equivalents (512 px units) after {self.spent:.0f} of {self.budget:.0f} spent"
        )
        return False


def plan(
    height: int,
    width: int,
    budget: float,
    has_fixed: bool,
    runs: int,
    steps: int,
    ig_steps: int,
    regions: int,
    infidelity_samples: int,
) -> Plan:
    """Required first (uncertainty, Saliency of the whole mask, the zoomed curves of the
    first map and both reference rankings), then optional parts by priority."""
    p = Plan(budget=budget, scale=height * width / REFERENCE_PIXELS)
    gradient = SALIENCY + (FIXED_GRADIENT if has_fixed else 0.0)
    per_pass = CURVE_PASS if batch_size(height, width) == 1 else BATCHED_CURVE_PASS
    curve = 2.0 * steps * per_pass
    primary = "saliency/correction" if has_fixed else "saliency/whole"
    p.take("forward", runs * UNCERTAINTY_RUN, required=True)  # the uncertainty reruns
    p.take("saliency/mask", gradient, required=True)
    ends = CURVE_ENDS + (LINEAR_CHECK if has_fixed else 0.0)
    p.take("curves/references", ends + 2 * curve, required=True)
    p.take(f"curves/{primary}", curve, required=True)
    p.take("integrated_gradients/mask", ig_steps * IG_STEP + (IG_FIXED if has_fixed else 0.0))
    for k in range(regions):
        p.take(f"saliency/region{k + 1}", gradient)
    # One model run per perturbation serves every map of the target (and a random one);
    # the correction reuses the whole output's runs when those were taken.
    with_ig = "integrated_gradients/mask" in p.chosen
    maps = INFIDELITY_MAP * (3 if with_ig else 2)
    runs_whole = infidelity_samples + 1
    took_whole = p.take("infidelity/whole", runs_whole + maps)
    if has_fixed:
        fixed_runs = runs_whole * (FIXED_PASS if took_whole else 1.0 + FIXED_PASS)
        p.take("infidelity/correction", fixed_runs + maps)
    targets = ["whole", "correction"] if has_fixed else ["whole"]
    methods = ["saliency", "integrated_gradients"] if with_ig else ["saliency"]
    for name in [f"{m}/{t}" for m in methods for t in targets]:
        if name != primary:
            p.take(f"curves/{name}", curve)
    return p
