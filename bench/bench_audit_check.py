"""`govern audit check`, export and verify on a large log: time and peak memory.

    python bench/bench_audit_check.py --size 1000000 [--keep DIR]

Fills a SQLite log in bulk, streaming (entries, leaf hashes, every stored subtree, and
a checkpoint signed by the log's key every 1 to 8 entries, as transactions of that
many appends would leave them), then runs each step in a fresh process so its peak
RSS is its own: a raw read-and-hash (SELECT entry, SHA-256 each) as the floor, the
check as `govern audit check` runs it (the log, and the live rows reconciled in the
same pass), a full export to a zip, and the offline verification of that zip.
"""

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import rfc8785
from rich.console import Console
from rich.table import Table
from sqlalchemy import insert, text
from sqlmodel import Session

from governance.audit.merkle import EMPTY_ROOT, leaf_hash, node_hash, range_hash
from governance.audit.models import AuditCheckpoint, AuditEntry, AuditNode
from governance.audit.notes import sign_checkpoint
from governance.services import Services, build_services
from governance.settings import Settings
from rights.models import utcnow

BATCH = 50_000


def services_at(data_dir: Path) -> Services:
    return build_services(Settings(data_dir=data_dir))


def fill(services: Services, size: int, seed: int = 7) -> int:
    """Bulk-load `size` entries; the number of checkpoints written."""
    rng = random.Random(seed)
    at = utcnow()
    stamp = at.isoformat().replace("+00:00", "Z")
    audit = services.audit
    stack: list[tuple[int, bytes]] = []
    entries: list[dict[str, object]] = []
    nodes: list[dict[str, object]] = []
    checkpoints: list[dict[str, object]] = []
    next_checkpoint, written = rng.randint(1, 8), 0
    with Session(services.engine) as session:

        def flush() -> None:
            for table, rows in (
                (AuditEntry, entries),
                (AuditNode, nodes),
                (AuditCheckpoint, checkpoints),
            ):
                if rows:
                    session.execute(insert(table), rows)
                    rows.clear()
            session.commit()

        for i in range(size):
            subject = f"work:{i % 5000}"
            data = {
                "index": i,
                "kind": "bench.bulk",
                "subject": subject,
                "actor": "bench",
                "at": stamp,
                "data": {"i": i},
            }
            entry = rfc8785.dumps(data)
            entries.append(
                {
                    "idx": i,
                    "kind": "bench.bulk",
                    "subject": subject,
                    "actor": "bench",
                    "created_at": at,
                    "entry": entry,
                }
            )
            value, level = leaf_hash(entry), 0
            nodes.append({"level": 0, "idx": i, "hash": value})
            while stack and stack[-1][0] == level:
                value, level = node_hash(stack.pop()[1], value), level + 1
                nodes.append({"level": level, "idx": ((i + 1) >> level) - 1, "hash": value})
            stack.append((level, value))
            if i + 1 == next_checkpoint or i + 1 == size:
                root = range_hash([h for _, h in stack]) if stack else EMPTY_ROOT
                note = sign_checkpoint(audit.origin, i + 1, root, audit.key_name, audit.key)
                checkpoints.append(
                    {"size": i + 1, "root_hash": root, "note": note, "created_at": at}
                )
                next_checkpoint, written = next_checkpoint + rng.randint(1, 8), written + 1
            if len(entries) >= BATCH:
                flush()
        flush()
    return written


def step(name: str, data_dir: Path) -> dict[str, float]:
    """One measured step, in this process: seconds and peak RSS (MiB)."""
    services = services_at(data_dir)
    bundle = data_dir / "bundle.zip"
    # ru_maxrss would include the imports' start-up peak: sample the step's own.
    before, peak, done = _rss(), [0], threading.Event()

    def sample() -> None:
        while not done.wait(0.02):
            peak[0] = max(peak[0], _rss())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    start = time.perf_counter()
    if name == "raw":
        import hashlib

        with services.engine.connect() as conn:
            for (entry,) in conn.execute(text("SELECT entry FROM audit_entries ORDER BY idx")):
                hashlib.sha256(b"\x00" + entry).digest()
    elif name == "check":  # what `govern audit check` does: the log and the live rows, one read
        from governance.audit.check_run import check_everything

        report = check_everything(services.engine, services.audit)
        assert not report.problems, report.problems
    elif name == "export":
        from governance.audit.bundle import export_to

        with Session(services.engine) as session:
            export_to(session, services, bundle)
    elif name == "verify":
        from governance.audit.verify_bundle import open_bundle, verify_bundle

        with open_bundle(bundle) as files:
            verify_bundle(files, services.audit.verifier_key)
    seconds = time.perf_counter() - start
    done.set()
    sampler.join()
    return {"seconds": seconds, "peak_mib": max(peak[0], _rss()), "before_mib": before}


def _rss() -> float:
    """Resident memory now, MiB (Linux)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def run_step(name: str, data_dir: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--step", name, "--data-dir", str(data_dir)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, help="fill here (or reuse a filled log here)")
    parser.add_argument("--steps", default="raw,check,export,verify")
    parser.add_argument("--step", help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:
        print(json.dumps(step(args.step, args.data_dir)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = args.keep or Path(tmp) / "log"
        checkpoints = None
        if not (data_dir / "filled").exists():
            start = time.perf_counter()
            checkpoints = fill(services_at(data_dir), args.size)
            (data_dir / "filled").write_text(str(checkpoints))
            took = time.perf_counter() - start
            print(f"filled {args.size:,} entries, {checkpoints:,} checkpoints in {took:.0f} s")
        checkpoints = int((data_dir / "filled").read_text())
        results = {name: run_step(name, data_dir) for name in args.steps.split(",")}
    table = Table(
        "step",
        "time",
        "peak RSS (before the step)",
        title=f"audit log of {args.size:,} entries, {checkpoints:,} checkpoints (SQLite)",
    )
    raw = results.get("raw", {}).get("seconds")
    for name, figures in results.items():
        ratio = f" ({figures['seconds'] / raw:.1f}x raw)" if raw and name != "raw" else ""
        memory = f"{figures['peak_mib']:.0f} MiB ({figures['before_mib']:.0f})"
        table.add_row(name, f"{figures['seconds']:.1f} s{ratio}", memory)
    Console().print(table)


if __name__ == "__main__":
    main()
