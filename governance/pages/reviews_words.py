"""A restoration report's faithfulness figures in plain words, for the conservator's
review page: what each attribution map's deletion and insertion curves say against the
two rankings that need no model (random, and distance to the mask), and the report's own
reasons for every check, failed ones included."""

from dataclasses import dataclass

from explain.schemas import AttributionMap, Curve, MethodVerdict, RestorationReport

METHODS = {"saliency": "Saliency", "integrated_gradients": "Integrated Gradients"}
TARGETS = {
    "whole": "the whole output",
    "correction": "the learned correction (what the weights add to the fixed fill)",
}
CHECKS = {
    "curves": "Deletion and insertion curves",
    "infidelity": "Infidelity",
    "completeness": "Completeness",
    "randomisation": "Parameter randomisation",
}
RANDOM = "random"
DISTANCE = "distance to mask"

BETTER_THAN_RANDOM = (
    "The report removes (blackens) the pixels a map ranks most important, a few at a time, "
    "and measures how much of the fill changes; it also puts only those pixels back into a "
    "black image and measures how much of the fill returns. A map that points at the "
    "pixels the model really uses changes the fill sooner on removal (a lower deletion "
    "area) and brings it back sooner on insertion (a higher insertion area) than pixels "
    "picked at random. Better than random is the least a map must do: one that fails it "
    "tells nothing about the model."
)
BETTER_THAN_DISTANCE = (
    "A restorer fills damage mostly from the pixels right around it, so ranking pixels "
    "simply by their distance to the mask, nearest first, already does well, and that "
    "ranking needs no model at all. A map that does no better than distance to the mask "
    "shows where the damage is, not how this model decided. Beating it is the honest "
    "bar: only then does the map add something a rule of thumb would not."
)
AREAS = (
    "Areas are taken over the first {percent:.0f}% of the undamaged pixels, from 0 to 1: "
    "deletion area, lower is better; insertion area, higher is better."
)


@dataclass(frozen=True)
class Comparison:
    """One map's curves against the two model-free rankings, judged as the report's
    verdict judges them (explain/faithfulness.py, curve_verdict)."""

    deletion: float
    insertion: float
    random_deletion: float
    random_insertion: float
    distance_deletion: float
    distance_insertion: float
    beats_random: bool
    beats_distance: bool
    sentence: str


@dataclass(frozen=True)
class Check:
    name: str
    verdict: str  # passed, failed, not measured


@dataclass(frozen=True)
class MethodView:
    method: str
    target: str
    label: str  # "Saliency of the whole output"
    verdict: str
    figure: str | None  # the overlay's file name in the report
    share_in_ring: float | None
    comparison: Comparison | None
    checks: list[Check]
    reasons: list[str]  # the report's own sentences, one per check


@dataclass(frozen=True)
class Faithfulness:
    available: bool
    reason: str
    methods: list[MethodView]
    failed: list[str]  # "label: the checks that failed"
    not_offered: list[str]  # "method: why"
    areas: str
    ring_px: int  # the shares of weight are counted this close to the damage
    better_than_random: str = BETTER_THAN_RANDOM
    better_than_distance: str = BETTER_THAN_DISTANCE


def _curve(curves: list[Curve], ranking: str, target: str) -> Curve | None:
    return next((c for c in curves if c.ranking == ranking and c.target == target), None)


def _compare(curves: list[Curve], method: str, target: str) -> Comparison | None:
    own = _curve(curves, f"{method}/{target}", target)
    random = _curve(curves, RANDOM, target)
    distance = _curve(curves, DISTANCE, target)
    if own is None or random is None or distance is None:
        return None
    d, i = own.deletion_auc, own.insertion_auc
    beats_random = d < random.deletion_auc and i > random.insertion_auc
    beats_distance = d <= distance.deletion_auc and i >= distance.insertion_auc
    if beats_random and beats_distance:
        sentence = "Its curves are better than random and better than distance to the mask."
    elif beats_random:
        sentence = (
            "Its curves are better than random, but no better than distance to the mask: "
            "the map shows where the damage is more than how the model decided."
        )
    else:
        sentence = (
            "Its curves are no better than random: the map does not point at what the model used."
        )
    return Comparison(
        deletion=d,
        insertion=i,
        random_deletion=random.deletion_auc,
        random_insertion=random.insertion_auc,
        distance_deletion=distance.deletion_auc,
        distance_insertion=distance.insertion_auc,
        beats_random=beats_random,
        beats_distance=beats_distance,
        sentence=sentence,
    )


def _method(report: RestorationReport, shown: AttributionMap) -> MethodView:
    method, target = shown.method, shown.target
    verdict: MethodVerdict | None = next(
        (v for v in report.faithfulness.verdicts if (v.method, v.target) == (method, target)),
        None,
    )
    name = METHODS.get(method, method.replace("_", " "))
    return MethodView(
        method=method,
        target=target,
        label=f"{name} of {TARGETS.get(target, target)}",
        verdict=verdict.verdict if verdict is not None else "not measured",
        figure=shown.figure,
        share_in_ring=shown.share_in_ring,
        comparison=_compare(report.faithfulness.curves, method, target),
        checks=[Check(CHECKS.get(k, k), v) for k, v in sorted(verdict.checks.items())]
        if verdict is not None
        else [],
        reasons=list(verdict.reasons) if verdict is not None else [],
    )


def faithfulness(report: RestorationReport) -> Faithfulness:
    f = report.faithfulness
    # The whole-mask target's maps: the ones the curves rank pixels by.
    methods = [_method(report, m) for m in report.why.maps if m.region == "mask"]
    failed = [
        f"{m.label}: {', '.join(c.name.lower() for c in m.checks if c.verdict == 'failed')}"
        for m in methods
        if m.verdict == "failed"
    ]
    ring = report.params.get("ring_px", 2)
    fraction = report.params.get("curve_fraction", 0.1)
    percent = 100 * float(fraction) if isinstance(fraction, int | float) else 10.0
    return Faithfulness(
        available=f.available,
        reason=f.reason,
        methods=methods,
        failed=failed,
        not_offered=[f"{n.method}: {n.reason}" for n in report.not_offered],
        areas=AREAS.format(percent=percent),
        ring_px=ring if isinstance(ring, int) else 2,
    )
