"""`govern screen DIR`: one self-contained HTML page per folder.

Each file's near-copies of registered works, with the altered regions drawn over a small
copy of the file (boxes in an inline SVG over a base64 thumbnail, in the file's own
pixels). Everything a page holds may come from a file or the registry (names, titles,
creators): every value is escaped where it is written; the page holds no script, and its
policy allows none and loads nothing but its own inline pictures.
"""

import base64
import html
import io
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from PIL import Image, ImageOps

from governance.images import rgb_pixels
from governance.screening.schemas import ScreenedCopy, ScreenResult
from labeling.verify_report import STYLE

TITLE = "Screening report"
THUMBNAIL_SIDE = 320
# As the service's own report pages: no script, no fetch; pictures only from the page.
POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "base-uri 'none'; form-action 'none'"
)
SCREEN_STYLE = """
svg.shot { border: 1px solid #ccc; max-width: 100%; height: auto; }
svg.shot rect.work { fill: none; stroke: #1f6fd1; stroke-width: 2; stroke-dasharray: 6 4; }
svg.shot rect.altered { fill: rgba(220, 30, 30, 0.15); stroke: #d21e1e; stroke-width: 2; }
section.file { border-top: 2px solid #888; margin-top: 2em; }
"""


@dataclass(frozen=True)
class Screened:
    """One file's outcome: its screen, or why there is none; `data` for its thumbnail."""

    name: str
    result: ScreenResult | None
    error: str | None = None
    data: bytes | None = None


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _table(head: tuple[str, ...], rows: Iterable[tuple[Any, ...]]) -> str:
    header = "".join(f"<th>{_e(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table>"


def thumbnail(data: bytes) -> str | None:
    """A small JPEG of the file, base64, or None when Pillow cannot read it."""
    try:
        with Image.open(io.BytesIO(data)) as opened:
            opened.draft("RGB", (THUMBNAIL_SIDE, THUMBNAIL_SIDE))
            image = ImageOps.exif_transpose(opened)
            small = Image.fromarray(rgb_pixels(image))
    except Exception:  # the screen itself says what is wrong with the file
        return None
    small.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
    buffer = io.BytesIO()
    small.save(buffer, "JPEG", quality=80)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def picture(result: ScreenResult, data: bytes | None) -> str:
    """The thumbnail with each match's footprint (dashed) and altered regions (red)."""
    encoded = thumbnail(data) if data is not None else None
    if encoded is None:
        return "<p>No picture: the file could not be shown.</p>"
    width, height = result.file.width, result.file.height
    boxes = []
    for copy in result.near_copies:
        if copy.transform is not None:
            box = copy.transform.work_in_query
            boxes.append(_rect("work", box.x, box.y, box.width, box.height, f"work {copy.work_id}"))
        for region in copy.altered_regions:
            boxes.append(
                _rect(
                    "altered",
                    region.x,
                    region.y,
                    region.width,
                    region.height,
                    f"altered (work {copy.work_id}, score {region.score:.2f})",
                )
            )
    display = min(THUMBNAIL_SIDE * 2, width)
    return (
        f'<svg class="shot" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{display}" role="img" aria-label="the file, with the regions found">'
        f'<image href="data:image/jpeg;base64,{encoded}" x="0" y="0" width="{width}" '
        f'height="{height}" preserveAspectRatio="none"/>{"".join(boxes)}</svg>'
    )


def _rect(kind: str, x: float, y: float, width: float, height: float, title: str) -> str:
    return (
        f'<rect class="{kind}" x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" '
        f'height="{height:.1f}"><title>{_e(title)}</title></rect>'
    )


def _copies(copies: list[ScreenedCopy]) -> str:
    if not copies:
        return "<p>No registered work found in this file.</p>"
    rows = []
    for c in copies:
        who = f"{c.work.title} by {c.work.creator} ({c.work.holder})" if c.work else "not shown"
        t = c.transform
        how = (
            f"turned {round(t.rotation_degrees, 1) + 0.0:.1f} deg, scale {t.scale:.2f}"
            + (", mirrored" if t.mirrored else "")
            + (", inverted" if t.inverted else "")
            + f", shows {t.work_fraction:.0%} of the work"
            if t is not None
            else "exact pixels"
        )
        altered = "unknown" if c.altered is None else ("yes" if c.altered else "no")
        fraction = "" if c.altered_fraction is None else f"{c.altered_fraction:.1%}"
        rows.append(
            (
                c.work_id,
                who,
                f"{c.score:.2f}",
                c.band.value,
                c.method.value,
                c.inliers,
                how,
                altered,
                fraction,
                len(c.altered_regions),
            )
        )
    return _table(
        (
            "work",
            "who",
            "score",
            "band",
            "method",
            "points",
            "transform",
            "altered",
            "altered area",
            "regions",
        ),
        rows,
    )


def _file_section(screened: Screened) -> str:
    name = f"<h2>{_e(screened.name)}</h2>"
    result = screened.result
    if result is None:
        why = f'<p class="note">Not screened: {_e(screened.error)}</p>'
        return f'<section class="file">{name}{why}</section>'
    synthetic = result.synthetic
    score = "none" if synthetic.score is None else f"{synthetic.score:.2f}"
    detectors = f"{synthetic.verdict.value} (score {score}, {len(synthetic.detectors)} detector(s))"
    output = result.service_output
    facts = _table(
        ("SHA-256", "size", "AI-made detectors", "output of this service"),
        [
            (
                result.file.sha256,
                f"{result.file.width} x {result.file.height} px",
                detectors,
                f"call {output.call_id}, by {output.found_by}" if output else "no",
            )
        ],
    )
    return (
        f'<section class="file">{name}{facts}{picture(result, screened.data)}'
        f"{_copies(result.near_copies)}</section>"
    )


def folder_page(folder: str, files: list[Screened], checked_with: str) -> str:
    summary = _table(
        ("folder", "files", "screened", "with near-copies", "altered copies"),
        [
            (
                folder,
                len(files),
                sum(1 for f in files if f.result),
                sum(1 for f in files if f.result and f.result.near_copies),
                sum(1 for f in files if f.result and any(c.altered for c in f.result.near_copies)),
            )
        ],
    )
    sections = "\n".join(_file_section(f) for f in files)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{_e(POLICY)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(TITLE)}: {_e(folder)}</title>
<style>{STYLE}{SCREEN_STYLE}</style></head><body>
<h1>{_e(TITLE)}</h1>
<p class="note">{_e(checked_with)}. A match's footprint is dashed blue; altered regions are
red, in the file's own pixels. A detector's score is evidence, never a verdict.</p>
{summary}
{sections}
</body></html>
"""
