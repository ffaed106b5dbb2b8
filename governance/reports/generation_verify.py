"""`govern reports verify` of a generation report: rebuilt against the basis it states
(works with ids up to `max_work_id`, their terms at `as_of`), compared key by key.

Counts and distances must agree exactly, other numbers within the stated tolerance;
a work's status and whether it binds may have changed since (a dispute), and are said
as such, never as a difference.
"""

import json
from typing import Any

from governance.reports.generation import build_generation, read_generation
from governance.reports.generation_schema import GenerationComparison, GenerationReport
from governance.services import Services

# Keys whose values may change after the report without making it wrong: a work's
# standing (a dispute), and how many candidates the search measured (a larger index
# votes differently; the works listed are rebuilt the same).
MAY_CHANGE = {"status", "binds", "measured"}


def verify_generation(services: Services, call_id: int, stored_json: bytes) -> GenerationComparison:
    stored = GenerationReport.model_validate_json(stored_json)
    rebuilt = build_generation(services, read_generation(services, call_id), stored)
    fresh = json.loads(rebuilt.report.json_bytes)
    tolerance = (stored.verification.tolerance_abs, stored.verification.tolerance_rel)
    return compare_generation(json.loads(stored_json), fresh, tolerance)


def compare_generation(
    stored: dict[str, Any], fresh: dict[str, Any], tolerance: tuple[float, float]
) -> GenerationComparison:
    """`tolerance`: (absolute, relative) for numbers that are not counts."""
    differences: list[str] = []
    changed: list[str] = []
    _listed("works.listed", "work_id", stored, fresh, differences)
    _listed("training_items.listed", "item_id", stored, fresh, differences)
    _walk("", stored, fresh, tolerance, differences, changed)
    return GenerationComparison(ok=not differences, differences=differences, changed_since=changed)


def _listed(
    path: str, key: str, stored: dict[str, Any], fresh: dict[str, Any], out: list[str]
) -> None:
    """Which works or items are listed, in order: said first, in ids, where they differ."""

    def ids(data: dict[str, Any]) -> list[Any]:
        section, _ = path.split(".")
        return [entry.get(key) for entry in data.get(section, {}).get("listed", [])]

    if ids(stored) != ids(fresh):
        out.append(f"{path}: {key}s {ids(stored)} stored, {ids(fresh)} rebuilt")


def _walk(
    path: str,
    a: Any,
    b: Any,
    tolerance: tuple[float, float],
    out: list[str],
    changed: list[str],
) -> None:
    leaf = path.rsplit(".", 1)[-1]
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            out.append(f"{path or 'report'}: keys differ: {sorted(set(a) ^ set(b))}")
            return
        for key in sorted(a):
            _walk(f"{path}.{key}" if path else key, a[key], b[key], tolerance, out, changed)
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            out.append(f"{path}: {len(a)} entries stored, {len(b)} rebuilt")
            return
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _walk(f"{path}[{i}]", x, y, tolerance, out, changed)
    elif a == b and type(a) is type(b):
        return
    elif leaf in MAY_CHANGE:
        changed.append(f"{path}: {a!r} then, {b!r} now")
    elif _numbers(a, b) and not (isinstance(a, int) and isinstance(b, int)):
        absolute, relative = tolerance
        if abs(a - b) > absolute + relative * abs(a):
            out.append(f"{path}: {a} stored, {b} rebuilt (beyond tolerance)")
    else:
        out.append(f"{path}: {a!r} stored, {b!r} rebuilt")


def _numbers(a: Any, b: Any) -> bool:
    return all(isinstance(v, int | float) and not isinstance(v, bool) for v in (a, b))
