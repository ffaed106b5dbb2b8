"""Bursts against a served deployment on its default database (SQLite): the probe's two.

    python -m bench.bench_burst [--clients 8] [--generations 50] [--verifiers 4]
                                [--verifications 42] [--registrations 15]

1. `--clients` clients each make `--generations` small (64 px) governed generations.
2. `--verifiers` clients each verify `--verifications` files while one rights holder
   registers `--registrations` works.

`govern serve` runs in a child process on a fresh data dir (default settings), over real
HTTP; each client has its own connection. Prints, per burst, the answers by status
(`reset` is a connection that failed), throughput, and p50/p95/max latency. Every 5xx or
reset is a failure: the probe found 4 x 500 and 3 resets in the first burst, 16 x 500 in
the second, before reads stopped taking SQLite's write lock (issue 11).
"""

import argparse
import collections
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table

from bench.bench_registry import distinct_images
from governance.auth.service import create_key
from governance.db import unit_of_work
from governance.services import build_services
from governance.settings import Settings

Request = Callable[[httpx.Client, int], httpx.Response]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def keys(data_dir: Path) -> dict[str, str]:
    services = build_services(Settings(data_dir=data_dir))
    made = {}
    with unit_of_work(services.engine) as session:
        for role in ("operator", "rights_holder", "regulator"):
            _, made[role] = create_key(session, services.audit, role, name=f"bench {role}")
    services.engine.dispose()
    return made


def serve(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "GOVERN_DATA_DIR": str(data_dir)}
    command = [str(Path(sys.executable).parent / "govern"), "serve", "--port", str(port)]
    server = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError("the server did not start")


class Tally:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.by_status: collections.Counter[str] = collections.Counter()
        self.latencies: list[float] = []

    def run(self, base: str, key: str, request: Request, count: int) -> None:
        headers = {"Authorization": f"Bearer {key}"}
        with httpx.Client(base_url=base, headers=headers, timeout=120) as client:
            for number in range(count):
                started = time.perf_counter()
                try:
                    answer = str(request(client, number).status_code)
                except httpx.HTTPError:
                    answer = "reset"
                with self.lock:
                    self.by_status[answer] += 1
                    self.latencies.append(time.perf_counter() - started)


def burst(jobs: list[tuple[Tally, str, Request, int]], base: str) -> float:
    threads = [
        threading.Thread(target=tally.run, args=(base, key, request, count))
        for tally, key, request, count in jobs
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def row(name: str, tally: Tally, seconds: float) -> list[str]:
    ms = sorted(1000 * s for s in tally.latencies)
    failures = sum(n for code, n in tally.by_status.items() if code == "reset" or code >= "5")
    return [
        name,
        ", ".join(f"{code}: {n}" for code, n in sorted(tally.by_status.items())),
        str(failures),
        f"{len(ms) / seconds:.1f}",
        f"{statistics.median(ms):.0f}",
        f"{ms[int(0.95 * (len(ms) - 1))]:.0f}",
        f"{ms[-1]:.0f}",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--generations", type=int, default=50)
    parser.add_argument("--verifiers", type=int, default=4)
    parser.add_argument("--verifications", type=int, default=42)
    parser.add_argument("--registrations", type=int, default=15)
    args = parser.parse_args()
    console = Console(width=140)
    works = distinct_images(args.registrations)
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        made = keys(data_dir)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = serve(data_dir, port)
        try:

            def generate(client: httpx.Client, number: int) -> httpx.Response:
                body = {
                    "model": "builtin-generation",
                    "prompt": f"a quiet harbour at dawn, study {number}",
                    "seed": number,
                    "width": 64,
                    "height": 64,
                }
                return client.post("/v1/generations", json=body)

            generations = Tally()
            took = burst(
                [(generations, made["operator"], generate, args.generations)] * args.clients,
                base,
            )
            table = Table("burst", "answers", "5xx+resets", "req/s", "p50 ms", "p95 ms", "max ms")
            table.add_row(
                *row(f"{args.clients} x {args.generations} generations", generations, took)
            )

            headers = {"Authorization": f"Bearer {made['operator']}"}
            call = httpx.post(
                f"{base}/v1/generations",
                headers=headers,
                json={
                    "model": "builtin-generation",
                    "prompt": "a lighthouse",
                    "width": 256,
                    "height": 256,
                },
            ).json()
            output = httpx.get(f"{base}/v1/calls/{call['id']}/output", headers=headers).content

            def verify(client: httpx.Client, number: int) -> httpx.Response:
                return client.post("/v1/verify", files={"file": ("out.png", output)})

            def register(client: httpx.Client, number: int) -> httpx.Response:
                metadata = {
                    "title": f"Bench work {number}",
                    "creator": "Bench Painter",
                    "license": "CC-BY-4.0",
                }
                return client.post(
                    "/v1/works",
                    files={"file": ("work.png", works[number])},
                    data={"metadata": json.dumps(metadata)},
                )

            verifications, registrations = Tally(), Tally()
            jobs: list[tuple[Tally, str, Request, int]] = [
                (verifications, made["regulator"], verify, args.verifications)
            ] * args.verifiers
            jobs.append((registrations, made["rights_holder"], register, args.registrations))
            took = burst(jobs, base)
            table.add_row(
                *row(f"{args.verifiers} x {args.verifications} verifications", verifications, took)
            )
            table.add_row(
                *row(f"1 x {args.registrations} registrations (beside)", registrations, took)
            )
        finally:
            server.terminate()
            server.wait(timeout=30)
    console.print(table)


if __name__ == "__main__":
    main()
