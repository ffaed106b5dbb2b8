import numpy as np
import pytest
import torch

from explain.randomisation import randomisation_check
from explain.report import NO_GRADIENTS, BuiltReport, explain_restoration
from governance.builtin.inpainting import BuiltinInpainter, InpaintNet
from tests.explain.models import PARAMS, case, context, linear_parts, lying_parts, run


def build(parts_name: str) -> BuiltReport:
    parts = linear_parts() if parts_name == "linear" else lying_parts()
    image, mask = case()
    output = run(parts, image, mask)
    check = randomisation_check(parts, PARAMS)
    return explain_restoration(
        image, mask, output, parts, lambda i, m: run(parts, i, m), context(check), PARAMS
    )


@pytest.fixture(scope="module")
def faithful() -> BuiltReport:
    return build("linear")


@pytest.fixture(scope="module")
def broken() -> BuiltReport:
    return build("lying")


def test_methods_pass_on_a_model_where_they_are_faithful(faithful: BuiltReport) -> None:
    verdicts = {(v.method, v.target): v for v in faithful.report.faithfulness.verdicts}
    assert set(verdicts) == {("saliency", "whole"), ("integrated_gradients", "whole")}
    assert verdicts[("saliency", "whole")].verdict == "passed", verdicts[("saliency", "whole")]
    assert verdicts[("saliency", "whole")].checks["randomisation"] == "passed"
    ig = verdicts[("integrated_gradients", "whole")]
    for v in verdicts.values():
        assert v.checks["curves"] == "passed" and v.checks["infidelity"] == "passed"
    assert ig.checks["completeness"] == "passed"
    # IG is gradient x input: its map keeps the photograph's structure when the weights
    # are reset, and the report must say so rather than pass it.
    assert ig.verdict == ("failed" if ig.checks["randomisation"] == "failed" else "passed")


def test_a_lying_explainer_fails_and_is_shown_failed(broken: BuiltReport) -> None:
    verdicts = {(v.method, v.target): v for v in broken.report.faithfulness.verdicts}
    for v in verdicts.values():
        assert v.verdict == "failed"
        assert v.checks["randomisation"] == "failed"
        assert v.checks["curves"] == "failed"
    assert verdicts[("integrated_gradients", "whole")].checks["completeness"] == "failed"
    page = broken.files["report.html"][1].decode()
    assert page.count('class="failed">failed') >= 2


def test_every_file_named_in_the_json_is_built(faithful: BuiltReport) -> None:
    names = {f.name for f in faithful.report.files}
    assert names | {"report.html"} == set(faithful.files)
    for entry in faithful.report.files:
        media, data = faithful.files[entry.name]
        assert (media, len(data)) == (entry.media_type, entry.size)
    for m in faithful.report.why.maps:
        loaded = np.load(__import__("io").BytesIO(faithful.files[m.file][1]))
        assert loaded.shape == (64, 64)


def test_regions_are_capped_and_said(faithful: BuiltReport) -> None:
    why = faithful.report.why
    assert len(why.regions) == min(why.regions_total, PARAMS.max_regions)
    assert why.regions_capped == (why.regions_total > PARAMS.max_regions)
    explained = {m.region for m in why.maps}
    assert explained == {"mask", *(r.label for r in why.regions)}


def test_a_black_box_gets_no_attributions_but_an_uncertainty_map() -> None:
    parts = linear_parts()
    image, mask = case()
    output = run(parts, image, mask)
    built = explain_restoration(
        image, mask, output, None, lambda i, m: run(parts, i, m), context(None), PARAMS
    )
    report = built.report
    assert not report.why.available and report.why.reason == NO_GRADIENTS
    assert report.why.maps == [] and not report.faithfulness.available
    assert report.faithfulness.verdicts == [] and not report.model.gradients
    spread = np.load(__import__("io").BytesIO(built.files["uncertainty.npy"][1]))
    assert spread[~mask].max() == 0 and spread[mask].max() > 0
    assert NO_GRADIENTS in built.files["report.html"][1].decode()


def test_a_model_with_a_fixed_part_is_explained_both_ways() -> None:
    torch.manual_seed(0)
    net = InpaintNet(width=4, levels=2)
    with torch.no_grad():
        for p in net.head.parameters():
            p.normal_(0.0, 0.1)
    restorer = BuiltinInpainter(net)
    image, mask = case()
    output = restorer.restore(image, mask)
    built = explain_restoration(
        image, mask, output, restorer.explainable(), restorer.restore, context(None), PARAMS
    )
    targets = {(m.method, m.target) for m in built.report.why.maps if m.region == "mask"}
    assert ("saliency", "correction") in targets and ("saliency", "whole") in targets
    for v in built.report.faithfulness.verdicts:
        assert v.checks["randomisation"] == "not measured"
    assert "harmonic fill" in built.report.model.decomposition
