"""Which parts of the report fit the time budget at this image size.

Costs are in forward passes of the built-in model at 512 x 512 (no gradient, channels
last), scaled by the pixel count: the plan depends only on the image size and the
parameters, never on how busy the machine is, so a rebuild makes the same plan.
"""

from dataclasses import dataclass, field

REFERENCE_PIXELS = 512 * 512
# What a unit is: one forward pass at 512 px. It was 0.451 and 0.475 CPU-s on one thread
# when the budget was set (load average 2.1-2.5, shared cores); on the same machine on a
# quieter day 0.231 and 0.236 (`python -m bench.bench_reports units 512`). The default
# budget (ReportParams.budget_units, 43) is 20 s of the slower ones.
FORWARD_CPU_S = 0.46
# Each part in forward passes, means of two runs of that bench (its rows in brackets):
UNCERTAINTY_RUN = 1.15  # "uncertainty, 4 runs" 4.50 and 4.74, per run
SALIENCY = 3.4  # "saliency, whole only" 3.14 and 3.69 (forward and backward)
FIXED_GRADIENT = 1.0  # "fixed gradient" 0.98 and 1.61; region saliency is 4.09 and 4.29
FIXED_PASS = 0.33  # "fixed part alone", no gradient
# "curve pass": one perturbed input, batched as the report batches them, with the fixed
# part in its linear form (1.05, 1.03). Batches of 2 at 256 px are no cheaper per input
# than pixel scaling says (0.058 to 0.063 CPU-s against 0.231 to 0.25 at 512 px).
CURVE_PASS = 1.04
# The black baseline, once for all rankings; the image's value comes from Saliency's
# forward pass, which every report runs first.
CURVE_ENDS = 1.0
LINEAR_CHECK = 1.32  # "linear check": the fixed part at the image, baseline and 2 probes
IG_STEP = 3.3  # "IG 4 steps, whole, fixed in closed form" 12.72 and 13.59, / 4
# "infidelity, 10 samples, both targets": 11.27 with 1 map each, 13.17 with 3; the whole
# output's 10 perturbed runs explain 10.3, the rest is captum's work per map and target.
INFIDELITY_MAP = 0.48


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
    curve = 2.0 * steps * CURVE_PASS
    primary = "saliency/correction" if has_fixed else "saliency/whole"
    p.take("forward", runs * UNCERTAINTY_RUN, required=True)  # the uncertainty reruns
    p.take("saliency/mask", gradient, required=True)
    ends = CURVE_ENDS + (LINEAR_CHECK if has_fixed else 0.0)
    p.take("curves/references", ends + 2 * curve, required=True)
    p.take(f"curves/{primary}", curve, required=True)
    # The fixed part's IG is priced as its closed form (free), which it is once its
    # linear form holds, as the built-in model's does; a fixed part that fails the check
    # costs about FIXED_GRADIENT more a step, which the plan does not foresee.
    p.take("integrated_gradients/mask", ig_steps * IG_STEP)
    for k in range(regions):
        p.take(f"saliency/region{k + 1}", gradient)
    # One model run per perturbation serves every map of the target (and a random one);
    # the image's value is known; the correction reuses the whole output's runs when
    # those were taken, and its fixed part is priced as run directly (the linear form,
    # when it holds, makes those runs free).
    with_ig = "integrated_gradients/mask" in p.chosen
    maps = INFIDELITY_MAP * (3 if with_ig else 2)
    runs_whole = infidelity_samples * CURVE_PASS
    took_whole = p.take("infidelity/whole", runs_whole + maps)
    if has_fixed:
        fixed_runs = infidelity_samples * FIXED_PASS + (0.0 if took_whole else runs_whole)
        p.take("infidelity/correction", fixed_runs + maps)
    targets = ["whole", "correction"] if has_fixed else ["whole"]
    methods = ["saliency", "integrated_gradients"] if with_ig else ["saliency"]
    for name in [f"{m}/{t}" for m in methods for t in targets]:
        if name != primary:
            p.take(f"curves/{name}", curve)
    return p
