"""The HTTP API's overhead: the same calls over HTTP and directly on the engine.

The script starts ``streamlit run app.py`` (pages and API in one process, as
deployed) on a local port with a temporary SQLite file, then measures:

- ``POST /api/generate`` until the 202 arrives, one request at a time, next
  to ``JobRunner.submit`` called in this process on the same database;
- ``GET /api/status/{id}`` from ``--pollers`` concurrent clients (keep-alive
  connections, one thread each), next to ``queries.get_job`` called from as
  many threads;
- ``GET /api/health`` from as many clients, a route without a token check,
  as a baseline for the cost of the token check and the status body.

It prints p50 and p95 latencies, throughput, and the ratios HTTP / engine
(the HTTP overhead) and status / health. Every request is unique, so each
POST creates a job, which the server's runner then writes in the background.

Run ``uv run python benchmarks/api.py [--requests N] [--pollers N] [--polls N]
[--port N]``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

# Run from a checkout without installing: the engine is imported from the root.
REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from generation import tokens
from generation.config import load_settings
from generation.datasets import save_dataset
from generation.db import get_engine, init_db
from generation.jobs import JobRunner
from generation.queries import get_job, queue_state
from generation.trends.csv_import import parse_trends_csv
from generation.trends.samples import SAMPLES_DIR

EXPORT = SAMPLES_DIR / "trends_multitimeline_weekly_3terms_us_5y.csv"
START_TIMEOUT_SECONDS = 120


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def start_app(port: int, database_url: str, log_path: Path) -> subprocess.Popen:
    environment = dict(os.environ)
    environment.update(
        {
            "DATABASE_URL": database_url,
            # The benchmark measures overhead, not the per-token limit.
            "API_RATE_LIMIT": "100000000",
            "REPORT_WRITER": "data_brief",
        }
    )
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "app.py",
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.headless",
        "true",
        "--server.fileWatcherType",
        "none",
        "--browser.gatherUsageStats",
        "false",
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"The app exited:\n{log_path.read_text()}")
        try:
            url = f"http://127.0.0.1:{port}/api/health"
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return process
        except OSError:
            time.sleep(0.3)
    stop_app(process)
    raise SystemExit(f"The app did not respond within {START_TIMEOUT_SECONDS} s")


def stop_app(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


class Client:
    """One keep-alive HTTP connection to the app."""

    def __init__(self, port: int, token: str | None) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.headers = {"Content-Type": "application/json"}
        if token:
            self.headers["Authorization"] = f"Bearer {token}"

    def request(self, method: str, path: str, body: dict | None = None) -> float:
        """Send one request, read the whole response, return the seconds it took."""
        payload = json.dumps(body).encode() if body is not None else None
        started = time.perf_counter()
        self.connection.request(method, path, body=payload, headers=self.headers)
        response = self.connection.getresponse()
        response.read()
        elapsed = time.perf_counter() - started
        if response.status >= 300:
            raise SystemExit(f"{method} {path} returned HTTP {response.status}")
        return elapsed


def run_concurrently(
    workers: int, calls_each: int, make_call: Callable[[], Callable[[], float]]
) -> tuple[list[float], float]:
    """Run ``calls_each`` calls on each of ``workers`` threads.

    ``make_call`` is run once per thread (to open its connection) and returns
    the call to repeat, which returns its own latency. Returns all latencies
    and the wall time from the first call to the last response.
    """
    latencies: list[float] = []
    lock = threading.Lock()
    barrier = threading.Barrier(workers + 1)

    def work() -> None:
        call = make_call()
        barrier.wait()
        mine = [call() for _ in range(calls_each)]
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return latencies, time.perf_counter() - started


def poller(port: int, token: str | None, path: str) -> Callable[[], float]:
    """Open one connection and return a call that GETs ``path`` on it."""
    client = Client(port, token)
    return lambda: client.request("GET", path)


def timed(call: Callable[[], object]) -> Callable[[], float]:
    def run() -> float:
        started = time.perf_counter()
        call()
        return time.perf_counter() - started

    return run


def wait_until_idle(engine, timeout: float = 300) -> None:
    """Wait until no job of either process is queued or running."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = queue_state(engine=engine)
        if state.queued == 0 and state.running == 0:
            return
        time.sleep(0.2)
    raise SystemExit(f"Jobs were still running after {timeout} s")


def report(name: str, latencies: list[float], wall: float | None = None) -> float:
    p50 = percentile(latencies, 0.5) * 1000
    p95 = percentile(latencies, 0.95) * 1000
    rate = f"  {len(latencies) / wall:8.0f} req/s" if wall else ""
    print(f"{name:<42} p50 {p50:7.2f} ms  p95 {p95:7.2f} ms{rate}")
    return p50


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=100, help="POSTs per side")
    parser.add_argument("--pollers", type=int, default=50, help="concurrent clients")
    parser.add_argument("--polls", type=int, default=40, help="polls per client")
    parser.add_argument("--port", type=int, default=8606, help="the app's port")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="api-benchmark-"))
    database_url = f"sqlite:///{workdir / 'benchmark.db'}"
    settings = load_settings({}, DATABASE_URL=database_url)
    engine = init_db(get_engine(database_url))
    dataset_id = save_dataset(
        parse_trends_csv(EXPORT.read_bytes(), EXPORT.name), engine=engine
    )
    secret = tokens.create_token("benchmark", engine=engine).secret
    runner = JobRunner(engine, settings)
    process = start_app(args.port, database_url, workdir / "app.log")
    print(f"App on port {args.port}; database {workdir / 'benchmark.db'}")
    try:
        client = Client(args.port, secret)

        def request_body(number: int, side: str) -> dict:
            # Unique instructions make each request a new job, not a repeat.
            return {"dataset_id": dataset_id, "instructions": f"{side} {number}"}

        http_generate = [
            client.request("POST", "/api/generate", request_body(number, "http"))
            for number in range(args.requests)
        ]
        engine_generate = []
        for number in range(args.requests):
            started = time.perf_counter()
            runner.submit(request_body(number, "engine"))
            engine_generate.append(time.perf_counter() - started)
        print()
        http_p50 = report("POST /api/generate (HTTP, until 202)", http_generate)
        engine_p50 = report("JobRunner.submit (engine)", engine_generate)
        print(f"{'HTTP / engine, generate p50':<42} {http_p50 / engine_p50:7.2f}x")

        # Poll a job that has ended, so the poll reads what a client reads most,
        # once every job has run, so no worker competes with the pollers.
        job_id = runner.submit(request_body(0, "poll")).job_id
        runner.wait(job_id, timeout=120)
        wait_until_idle(engine)
        status_path = f"/api/status/{job_id}"

        status_latencies, status_wall = run_concurrently(
            args.pollers,
            args.polls,
            lambda: poller(args.port, secret, status_path),
        )
        engine_latencies, engine_wall = run_concurrently(
            args.pollers,
            args.polls,
            lambda: timed(lambda: get_job(job_id, engine=engine)),
        )
        health_latencies, health_wall = run_concurrently(
            args.pollers,
            args.polls,
            lambda: poller(args.port, None, "/api/health"),
        )
        print()
        print(f"{args.pollers} concurrent pollers, {args.polls} polls each:")
        status_p50 = report(
            "GET /api/status/{id} (HTTP)", status_latencies, status_wall
        )
        get_p50 = report("queries.get_job (engine)", engine_latencies, engine_wall)
        health_p50 = report(
            "GET /api/health (HTTP, no token)", health_latencies, health_wall
        )
        status_rate = len(status_latencies) / status_wall
        health_rate = len(health_latencies) / health_wall
        print(f"{'HTTP / engine, status p50':<42} {status_p50 / get_p50:7.2f}x")
        print(f"{'status / health, p50':<42} {status_p50 / health_p50:7.2f}x")
        print(f"{'status / health, throughput':<42} {status_rate / health_rate:7.2f}x")
    finally:
        runner.shutdown(wait=False)
        stop_app(process)


if __name__ == "__main__":
    main()
