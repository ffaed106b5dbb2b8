"""Files/s of `govern verify`'s three ways over the same 20 outputs and 20 stripped copies.

    python -m bench.bench_verify_modes [--passes 5]

Makes 20 generated 512 px outputs and a JPEG (q85) copy of each, on SQLite in a temporary
folder, then verifies the folder: inside the deployment (read only), the file alone
(`--trust-anchor`, the service's root) and through the service (`--url`, uvicorn on this
machine). Prints the median rate of the passes and how many files were traced to their
call (by manifest or watermark).
"""

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from cryptography import x509
from rich.console import Console

from governance.cli.read_only import open_read_only
from governance.cli.verify_command import FileAlone
from governance.cli.verify_files import InDeployment, Verifier, run_verifier
from governance.cli.verify_remote import Remote
from tests.support.label_helpers import generated, generator, output_of, reencoded
from tests.support.live_server import live_server
from tests.support.service_fixture import make_service


def rate(verifier: Verifier, folder: Path, passes: int) -> str:
    quiet = Console(stderr=True, quiet=True)
    rates, found = [], 0
    for _ in range(passes):
        start = time.perf_counter()
        run = run_verifier(verifier, [folder], quiet)
        rates.append(len(run.rows) / (time.perf_counter() - start))
        assert not run.unreadable
        found = sum(1 for r in run.rows if r.get("found_by") in ("manifest", "watermark"))
    return (
        f"median {statistics.median(rates):.1f} files/s (min {min(rates):.1f}, "
        f"max {max(rates):.1f}); {found}/{len(run.rows)} traced to their call"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passes", type=int, default=5)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp())
    service = make_service(f"sqlite:///{tmp / 'data' / 'govern.db'}", tmp / "data")
    model = generator(service)
    folder = tmp / "files"
    folder.mkdir()
    for i in range(20):
        data = output_of(service, generated(service, model, size=512, seed=i))
        (folder / f"output-{i:02}.png").write_bytes(data)
        (folder / f"stripped-{i:02}.jpg").write_bytes(reencoded(data, "JPEG", quality=85))
    anchors = x509.load_pem_x509_certificates(service.client.get("/v1/labels/ca.pem").content)
    services = open_read_only(service.settings)
    print("inside the deployment (read only):", rate(InDeployment(services), folder, args.passes))
    services.engine.dispose()
    alone = FileAlone(service.settings, anchors, "bench")
    print("file alone (--trust-anchor):", rate(alone, folder, args.passes))
    with live_server(service.app) as url:
        remote = Remote(url, service.keys["regulator"])
        print("through the service (--url, same machine):", rate(remote, folder, args.passes))
        remote.close()
    service.app.state.services.engine.dispose()


if __name__ == "__main__":
    main()
