"""Audit log figures: concurrent appends, proof latency at a million entries, export.

    python bench/bench_audit.py [--writers 8] [--appends 100] [--proof-size 1000000]
                                [--export-size 100000] [--postgres URL]
                                [--check-size 1000000 [--keep DIR] [--steps raw,check]]

--check-size N runs bench/bench_audit_check.py on a log of N entries (the raw read,
`audit check` as the command runs it, export and verify: time and peak memory, each in
its own process) instead of the rest.

Appends go through AuditLog.append, one transaction each (as requests do), with a
signed checkpoint per transaction. The large logs are bulk-loaded with the same
entries, leaf hashes and stored subtrees that appends produce. PostgreSQL runs when
--postgres (or GOVERN_TEST_POSTGRES_URL) names a server; a scratch database is used.
"""

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import rfc8785
from rich.console import Console
from rich.progress import track
from rich.table import Table
from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from governance.audit import log
from governance.audit.bundle import build_bundle
from governance.audit.merkle import MemoryTree, leaf_hash
from governance.audit.models import AuditEntry, AuditNode
from governance.audit.verify_bundle import verify_bundle
from governance.db import unit_of_work
from governance.services import Services, build_services
from governance.settings import Settings, normalise_database_url
from rights.models import utcnow


def sqlite_services(root: Path, name: str) -> Services:
    return build_services(Settings(data_dir=root / name))


def postgres_services(root: Path, base: str) -> tuple[Services, str, object]:
    admin_url = make_url(normalise_database_url(base))
    name = f"govern_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin_url.set(database=name).render_as_string(hide_password=False)
    return build_services(Settings(data_dir=root / "pg", database_url=url)), name, admin


def drop_postgres(name: str, admin) -> None:
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def bench_appends(services: Services, writers: int, appends: int) -> float:
    def writer(number: int) -> None:
        for i in range(appends):
            with unit_of_work(services.engine) as session:
                services.audit.append(
                    session, "bench.append", f"writer:{number}", "bench", {"i": i}
                )

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(writers)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return writers * appends / (time.perf_counter() - start)


def bulk_load(services: Services, size: int) -> None:
    """Entries, leaf hashes and every stored subtree, as `size` appends would leave them."""
    at = utcnow()
    stamp = at.isoformat().replace("+00:00", "Z")
    entries = [
        rfc8785.dumps(
            {
                "index": i,
                "kind": "bench.bulk",
                "subject": f"work:{i % 5000}",
                "actor": "bench",
                "at": stamp,
                "data": {"i": i},
            }
        )
        for i in range(size)
    ]
    tree = MemoryTree([leaf_hash(e) for e in entries])
    batch = 50_000
    with Session(services.engine) as session:
        for start in track(range(0, size, batch), description=f"loading {size:,} entries"):
            chunk = range(start, min(size, start + batch))
            session.execute(
                insert(AuditEntry),
                [
                    {
                        "idx": i,
                        "kind": "bench.bulk",
                        "subject": f"work:{i % 5000}",
                        "actor": "bench",
                        "created_at": at,
                        "entry": entries[i],
                    }
                    for i in chunk
                ],
            )
            session.commit()
        rows = [
            {"level": lv, "idx": i, "hash": h}
            for lv, hashes in enumerate(tree.levels)
            for i, h in enumerate(hashes)
        ]
        for start in track(range(0, len(rows), batch), description="loading subtree hashes"):
            session.execute(insert(AuditNode), rows[start : start + batch])
            session.commit()
        services.audit.write_checkpoint(session)
        session.commit()


def bench_proofs(services: Services, size: int, samples: int = 500) -> tuple[float, float]:
    rng = random.Random(5)
    times = []
    with Session(services.engine) as session:
        for _ in range(samples):
            index = rng.randrange(size)
            start = time.perf_counter()
            log.inclusion_with_root(session, index, size)  # what the endpoint reads
            times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), sorted(times)[int(samples * 0.95)]


def bench_export(services: Services) -> tuple[float, float, int]:
    start = time.perf_counter()
    with Session(services.engine) as session:
        files = build_bundle(session, services)
    export_s = time.perf_counter() - start
    start = time.perf_counter()
    verify_bundle(files, services.audit.verifier_key)
    return export_s, time.perf_counter() - start, sum(len(v) for v in files.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--appends", type=int, default=100, help="per writer")
    parser.add_argument("--proof-size", type=int, default=1_000_000)
    parser.add_argument("--export-size", type=int, default=100_000)
    parser.add_argument("--postgres", default=os.environ.get("GOVERN_TEST_POSTGRES_URL"))
    parser.add_argument("--check-size", type=int, default=0)
    parser.add_argument("--keep", help="with --check-size: fill here, or reuse a filled log")
    parser.add_argument("--steps", help="with --check-size: which steps (raw,check,export,verify)")
    args = parser.parse_args()
    if args.check_size:
        script = Path(__file__).with_name("bench_audit_check.py")
        options = ["--size", str(args.check_size), *(["--keep", args.keep] if args.keep else [])]
        options += ["--steps", args.steps] if args.steps else []
        subprocess.run([sys.executable, str(script), *options], check=True)
        return
    console = Console()
    table = Table("figure", "value", "target", title="audit log (this machine)")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        rate = bench_appends(sqlite_services(root, "appends"), args.writers, args.appends)
        table.add_row(f"appends/s, SQLite, {args.writers} writers", f"{rate:.0f}", "stated")
        if args.postgres:
            services, name, admin = postgres_services(root, args.postgres)
            try:
                rate = bench_appends(services, args.writers, args.appends)
            finally:
                services.engine.dispose()
                drop_postgres(name, admin)
            table.add_row(f"appends/s, PostgreSQL, {args.writers} writers", f"{rate:.0f}", "stated")
        proofs = sqlite_services(root, "proofs")
        bulk_load(proofs, args.proof_size)
        p50, p95 = bench_proofs(proofs, args.proof_size)
        table.add_row(
            f"inclusion proof + root at {args.proof_size:,} entries, p50 (SQLite)",
            f"{p50:.2f} ms",
            "< 5 ms",
        )
        table.add_row("  same, p95", f"{p95:.2f} ms", "")
        exported = sqlite_services(root, "export")
        bulk_load(exported, args.export_size)
        export_s, verify_s, size = bench_export(exported)
        table.add_row(
            f"export of {args.export_size:,} entries (full bundle)",
            f"{export_s:.2f} s ({size / 1e6:.1f} MB)",
            "stated",
        )
        table.add_row("offline verify of that bundle", f"{verify_s:.2f} s", "stated")
    console.print(table)


if __name__ == "__main__":
    main()
