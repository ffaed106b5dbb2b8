"""The restoration report's JSON, versioned: "restoration-report/1".

A reader keyed on `schema` can refuse a version it does not know; a change that removes
or renames a field makes a new version, and a new JSON Schema file beside the old one.
"""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA = "restoration-report/1"
RANDOMISATION_SCHEMA = "randomisation-check/1"

Verdict = Literal["passed", "failed", "not measured"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Tolerance(Strict):
    # A rebuilt scalar matches when |a - b| <= abs + rel * |a|.
    scalar_abs: float
    scalar_rel: float
    # A rebuilt map matches when ||a - b|| / ||a|| <= map_rel_norm on its pooled grid.
    map_rel_norm: float
    description: str


class LayerCorrelation(Strict):
    layer: str
    spearman: float


class RandomisationSeries(Strict):
    method: str
    target: Literal["whole", "correction"]
    layers: list[LayerCorrelation]
    final_spearman: float
    threshold: float
    verdict: Verdict
    reason: str


class RandomisationCheck(Strict):
    schema_: Literal["randomisation-check/1"] = Field(alias="schema")
    image: str
    size: int
    mask_seed: int
    mask_fraction: float
    ring_px: int
    ring_pixels: int
    cascade: list[str]
    series: list[RandomisationSeries]
    torch_version: str
    captum_version: str
    description: str


class FileEntry(Strict):
    name: str
    media_type: str
    sha256: str
    size: int
    # True: a rebuild must give the same bytes; False: float maps, compared within tolerance.
    exact: bool
    description: str


class ModelFacts(Strict):
    name: str
    version: str
    weights_sha256: str | None
    gradients: bool
    decomposition: str
    multiple: int | None


class Hashes(Strict):
    input_sha256: str
    mask_sha256: str
    output_sha256: str
    input_pixels_sha256: str
    mask_pixels_sha256: str
    output_pixels_sha256: str


class Environment(Strict):
    torch: str
    captum: str
    numpy: str
    torch_threads: int


class WhatChanged(Strict):
    height: int
    width: int
    mask_pixels: int
    mask_fraction: float
    changed_inside_mask: int
    changed_outside_mask: int
    outside_within_watermark: int
    outside_beyond_watermark: int
    max_change_outside: int
    watermark_levels: int
    outside_histogram: list[int]
    explanation: str


class Piece(Strict):
    name: str
    sha256: str
    role: str


class Reversibility(Strict):
    pieces: list[Piece]
    recombine: str
    recombines_exactly: bool


class Pooled(Strict):
    # Block sums of the map on a coarse grid: what compare_reports compares within tolerance.
    rows: int
    cols: int
    values: list[float]


class AttributionMap(Strict):
    method: str
    target: Literal["whole", "correction"]
    region: str
    file: str
    figure: str
    total: float
    share_in_ring: float
    pooled: Pooled


class Region(Strict):
    label: str
    pixels: int
    bbox: list[int]


class Why(Strict):
    available: bool
    reason: str
    target: str
    baseline: str
    regions: list[Region]
    regions_total: int
    regions_capped: bool
    maps: list[AttributionMap]


class HowSure(Strict):
    method: str
    file: str
    figure: str
    mean_spread: float
    max_spread: float
    pooled: Pooled
    caveat: str


class Curve(Strict):
    ranking: str
    target: Literal["whole", "correction"]
    fractions: list[float]
    deletion: list[float]
    insertion: list[float]
    deletion_auc: float
    insertion_auc: float


class MethodVerdict(Strict):
    method: str
    target: Literal["whole", "correction"]
    verdict: Verdict
    checks: dict[str, Verdict]
    reasons: list[str]
    completeness_delta: float | None
    infidelity: float | None
    infidelity_random: float | None


class Faithfulness(Strict):
    available: bool
    reason: str
    curves: list[Curve]
    verdicts: list[MethodVerdict]
    randomisation_sha256: str | None
    randomisation: RandomisationCheck | None


class NotOffered(Strict):
    method: str
    reason: str


class RestorationReport(Strict):
    schema_: Literal["restoration-report/1"] = Field(alias="schema")
    call_id: int
    model: ModelFacts
    hashes: Hashes
    params: dict[str, float | int | str | bool]
    environment: Environment
    what_changed: WhatChanged
    reversibility: Reversibility
    why: Why
    how_sure: HowSure
    faithfulness: Faithfulness
    not_offered: list[NotOffered]
    tolerance: Tolerance
    files: list[FileEntry]
    limits: list[str]


class ReportComparison(Strict):
    ok: bool
    tolerance: Tolerance
    differences: list[str]
