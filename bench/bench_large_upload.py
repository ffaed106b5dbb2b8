"""Peak memory and time of one search or verification of a large, small-file image.

    python -m bench.bench_large_upload [--side 7900] [--analysis-max-pixels 4000000]

The image is a mostly flat PNG of side x side pixels (62 Mpx at 7900, under the default
64 Mpx `GOVERN_MAX_IMAGE_PIXELS`) that compresses to a few hundred KB, as a probe would
send. Each endpoint is called once, over HTTP, in a fresh process: its figures are the
growth of the process' peak RSS (VmHWM, reset just before the request) over its resident
size then, and the request's wall time. Linux only.
"""

import argparse
import io
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from fastapi.testclient import TestClient
from PIL import Image
from rich.console import Console
from rich.table import Table

from governance.app import create_app
from governance.auth.service import create_key
from governance.db import unit_of_work
from governance.settings import MB, Settings

ENDPOINTS = ("/v1/verify", "/v1/matches/byContent", "/v1/works/match")


def large_png(side: int) -> bytes:
    """A flat grey square with a textured corner, so it is not flat to the fingerprints."""
    pixels = np.full((side, side, 3), 128, dtype=np.uint8)
    corner = np.random.default_rng(1).integers(0, 256, (256, 256, 3), dtype=np.uint8)
    pixels[:256, :256] = corner
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "PNG", compress_level=9)
    return buffer.getvalue()


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def reset_peak_rss() -> int:
    """Start a new peak-RSS measurement (Linux): the resident size now, in bytes.

    Writing 5 to clear_refs resets the high-water mark, which app start-up set higher
    than anything a request below the limit reaches."""
    Path("/proc/self/clear_refs").write_text("5")
    return _status_kb("VmRSS") * 1024


def peak_rss_bytes() -> int:
    return _status_kb("VmHWM") * 1024


def measure(endpoint: str, png: Path, analysis_max_pixels: int | None) -> dict[str, object]:
    """One request to `endpoint` in this process: peak RSS growth and wall time."""
    with tempfile.TemporaryDirectory() as tmp:
        limits: dict[str, int] = {"max_upload_bytes": 50 * MB, "max_image_pixels": 64_000_000}
        if analysis_max_pixels is not None:
            limits["analysis_max_pixels"] = analysis_max_pixels
        settings = Settings(data_dir=Path(tmp), register_builtin_models=False, **limits)  # type: ignore[arg-type]
        app = create_app(settings)
        with unit_of_work(app.state.services.engine) as session:
            key = create_key(session, app.state.services.audit, "rights_holder", "bench")[1]
        client = TestClient(app)
        data = png.read_bytes()
        before = reset_peak_rss()
        start = time.perf_counter()
        response = client.post(
            endpoint,
            headers={"Authorization": f"Bearer {key}"},
            files={"file": ("large.png", data, "image/png")},
        )
        seconds = time.perf_counter() - start
        app.state.services.engine.dispose()
    return {
        "status": response.status_code,
        "seconds": round(seconds, 2),
        "peak_rss_growth_mb": round((peak_rss_bytes() - before) / MB, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--side", type=int, default=7900)
    parser.add_argument("--analysis-max-pixels", type=int, default=None)
    parser.add_argument("--child", nargs=2, metavar=("ENDPOINT", "PNG"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        result = measure(args.child[0], Path(args.child[1]), args.analysis_max_pixels)
        print(json.dumps(result))
        return
    title = f"one request, {args.side}x{args.side} PNG"
    with tempfile.TemporaryDirectory() as tmp:
        png = Path(tmp) / "large.png"
        png.write_bytes(large_png(args.side))
        table = Table(title=f"{title} of {png.stat().st_size // 1024} KB")
        for column in ("endpoint", "status", "seconds", "peak RSS growth (MB)"):
            table.add_column(column)
        for endpoint in ENDPOINTS:
            extra = []
            if args.analysis_max_pixels is not None:
                extra = ["--analysis-max-pixels", str(args.analysis_max_pixels)]
            out = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "bench.bench_large_upload",
                    "--child",
                    endpoint,
                    str(png),
                    *extra,
                ],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            result = json.loads(out.strip().splitlines()[-1])
            table.add_row(
                endpoint,
                str(result["status"]),
                str(result["seconds"]),
                str(result["peak_rss_growth_mb"]),
            )
    Console().print(table)


if __name__ == "__main__":
    main()
