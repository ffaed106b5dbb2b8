"""Recompute-and-compare: a stored report against a rebuild, within the stored tolerance."""

import json
from typing import Any

import numpy as np

from explain.canonical import rounded
from explain.schemas import ReportComparison, RestorationReport, Tolerance

# Differences in these do not make a rebuild wrong: they say where it ran.
IGNORED = {"environment"}


def _walk(path: str, a: Any, b: Any, tol: Tolerance, out: list[str]) -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            out.append(f"{path}: keys differ: {sorted(set(a) ^ set(b))}")
            return
        if "values" in a and "rows" in a and "cols" in a:
            _pooled(path, a, b, tol, out)
            return
        for key in sorted(a):
            if not path and key in IGNORED:
                continue
            _walk(f"{path}.{key}" if path else key, a[key], b[key], tol, out)
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            out.append(f"{path}: {len(a)} items stored, {len(b)} rebuilt")
            return
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _walk(f"{path}[{i}]", x, y, tol, out)
    elif isinstance(a, float | int) and isinstance(b, float | int) and not isinstance(a, bool):
        if isinstance(a, int) and isinstance(b, int):
            if a != b:
                out.append(f"{path}: {a} stored, {b} rebuilt")
        elif abs(a - b) > tol.scalar_abs + tol.scalar_rel * abs(a):
            out.append(f"{path}: {a} stored, {b} rebuilt (beyond tolerance)")
    elif a != b:
        out.append(f"{path}: {a!r} stored, {b!r} rebuilt")


def _pooled(
    path: str, a: dict[str, Any], b: dict[str, Any], tol: Tolerance, out: list[str]
) -> None:
    x, y = np.asarray(a["values"], float), np.asarray(b["values"], float)
    if x.shape != y.shape:
        out.append(f"{path}: map grid differs")
        return
    scale = max(float(np.linalg.norm(x)), 1e-30)
    relative = float(np.linalg.norm(x - y)) / scale
    if relative > tol.map_rel_norm:
        out.append(
            f"{path}: map differs by relative L2 {relative:.3g} (tolerance {tol.map_rel_norm})"
        )


def _files(stored: list[dict[str, Any]], rebuilt: list[dict[str, Any]], out: list[str]) -> None:
    a = {f["name"]: f for f in stored}
    b = {f["name"]: f for f in rebuilt}
    if a.keys() != b.keys():
        out.append(f"files: names differ: {sorted(set(a) ^ set(b))}")
    for name in sorted(a.keys() & b.keys()):
        if a[name]["exact"] and a[name]["sha256"] != b[name]["sha256"]:
            out.append(f"files.{name}: SHA-256 differs for a file that must match exactly")


def compare_reports(stored_json: bytes, rebuilt: Any) -> ReportComparison:
    """`rebuilt` is an explain.report.BuiltReport; float maps are compared by their pooled
    grids, exact pieces (input, mask, fill, changed pixels) by SHA-256."""
    stored_data = json.loads(stored_json)
    stored = RestorationReport.model_validate(stored_data)
    tolerance = stored.tolerance
    fresh = rounded(rebuilt.report.model_dump(mode="json", by_alias=True))
    differences: list[str] = []
    _files(stored_data["files"], fresh["files"], differences)
    stored_rest = {k: v for k, v in stored_data.items() if k != "files"}
    fresh_rest = {k: v for k, v in fresh.items() if k != "files"}
    _walk("", stored_rest, fresh_rest, tolerance, differences)
    return ReportComparison(ok=not differences, tolerance=tolerance, differences=differences)


__all__ = ["ReportComparison", "compare_reports"]
