"""The built-in restorer at 128 px: the whole output's map shows the parameter-free
fill's stencil and fails the randomisation check; the learned correction's passes."""

from explain.randomisation import randomisation_check
from explain.report import ReportParams
from governance.builtin.inpainting import BuiltinInpainter


def test_the_correction_depends_on_the_weights_and_the_whole_output_does_not() -> None:
    parts = BuiltinInpainter.load().explainable()
    # One IG step: only the Saliency series are asserted, and IG's steps cost the most.
    check = randomisation_check(parts, ReportParams(check_size=128, ig_steps=1))
    series = {(s.method, s.target): s for s in check.series}
    assert series[("saliency", "whole")].verdict == "failed"
    assert series[("saliency", "correction")].verdict == "passed"
    assert series[("saliency", "whole")].final_spearman > 0.7
    assert check.cascade[0] == "head" and check.cascade[-1] == "stem"
    assert check.ring_pixels > 0
