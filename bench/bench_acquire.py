"""Acquire benchmark against the loopback fixture server (no internet).

1. Fetch throughput of one task's fetch loop (`run_bounded` over `fetch_cloud_version`: XML + figure
   media, MD5-verified, packed and written to a landing folder) at 1, 4 and 16 concurrent requests,
   with a simulated round trip per request (`--latency-ms`; the server runs in its own process):
   articles/s and MB/s.
2. The Spark job end to end (`run_acquire`, cloud layout over HTTP) with a request-rate limit: the
   request rate the server measured (overall and the busiest one-second window) against the limit.

    .venv/bin/python bench/bench_acquire.py [--articles 40] [--latency-ms 20] [--rate 15]

Results go to bench/results/acquire.json (gitignored). Needs ../shared/corpus/pmc-real.tar.gz.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from support.pmc_mirror import MirrorHttpServer, build_mirror  # noqa: E402

from biomedica_spark.acquire.fetch import (  # noqa: E402
    CloudOptions,
    Fetcher,
    fetch_cloud_version,
    run_bounded,
)
from biomedica_spark.acquire.landing import LandingWriter  # noqa: E402
from biomedica_spark.acquire.retry import Backoff, RateLimiter  # noqa: E402
from biomedica_spark.acquire.transport import HttpTransport  # noqa: E402

BUCKET = "pmc-oa-opendata"


def corpus_dir(work: Path) -> Path:
    unpacked = os.environ.get("BIOMEDICA_CORPUS_DIR")
    if unpacked:
        return Path(unpacked)
    archive = Path(os.environ.get("BIOMEDICA_CORPUS", REPO.parent / "shared" / "corpus" / "pmc-real.tar.gz"))
    if not archive.is_file():
        raise SystemExit(f"real PMC corpus not found at {archive} (set BIOMEDICA_CORPUS)")
    with tarfile.open(archive) as tar:
        tar.extractall(work, filter="data")
    return work / "pmc-real"


def serve(root: Path, latency_s: float, urls: multiprocessing.Queue, stop: Any, times: Path) -> None:  # type: ignore[type-arg]
    """The fixture server in its own process (it shares no GIL with the fetching threads, and the driver's
    load does not bunch its arrival times); on `stop` it writes the arrival times (CLOCK_MONOTONIC, the
    same clock in every process) to `times`."""
    with MirrorHttpServer(root) as server:
        server.latency_s = latency_s
        urls.put(server.url)
        stop.wait()
        times.write_text(json.dumps(server.request_times))


def fetch_loop(url: str, metadata: list[bytes], concurrency: int, landing: Path) -> dict:
    transport = HttpTransport(f"{url}/cloud", 30)
    requests = 0

    class Counting:
        def get(self, key: str):  # type: ignore[no-untyped-def]
            nonlocal requests
            requests += 1
            return transport.get(key)

    fetcher = Fetcher(Counting(), RateLimiter(1e6, 1e6), Backoff(3, 0.01, 0.1))  # type: ignore[arg-type]
    writer = LandingWriter(str(landing), f"bench-{concurrency}")
    start = time.perf_counter()
    outcomes = [
        outcome
        for _, outcome in run_bounded(
            metadata,
            lambda m: fetch_cloud_version(fetcher, writer, m, None, CloudOptions(BUCKET)),
            concurrency,
        )
    ]
    elapsed = time.perf_counter() - start
    writer.clean()
    fetched = [o for o in outcomes if o.status == "fetched"]
    megabytes = sum(o.bytes for o in fetched) / 1e6
    return {
        "concurrency": concurrency,
        "articles": len(fetched),
        "failed": len(outcomes) - len(fetched),
        "requests": requests,
        "seconds": round(elapsed, 3),
        "articles_per_s": round(len(fetched) / elapsed, 2),
        "mb_per_s": round(megabytes / elapsed, 2),
    }


def spark_job(url: str, work: Path, rate: float, tasks: int, concurrency: int) -> tuple[dict, float]:
    from biomedica_spark.acquire.job import run_acquire
    from biomedica_spark.config import load_config
    from biomedica_spark.lake.session import get_spark

    cfg = load_config(
        [f"landing.root={work / 'job-landing'}", f"lake.root={work / 'job-lake'}", "spark.master='local[2]'",
         "acquire.source=pmc_cloud", f"acquire.cloud.endpoint={url}/cloud", f"acquire.tasks={tasks}",
         f"acquire.concurrency={concurrency}", f"acquire.requests_per_second={rate}", "acquire.burst=1"]
    )  # fmt: skip
    spark = get_spark(cfg)
    started = time.monotonic()
    result = run_acquire(spark, cfg)
    elapsed = time.monotonic() - started
    return {
        "tasks": tasks,
        "concurrency_per_task": concurrency,
        "configured_requests_per_s": rate,
        "articles_fetched": result.fetched,
        "job_seconds": round(elapsed, 1),
        "job_articles_per_s": round(result.fetched / elapsed, 2),
        "job_mb_per_s": round(result.bytes / 1e6 / elapsed, 3),
    }, started


def request_rates(times: list[float], tasks: int, rate: float) -> dict:
    """The busiest windows of the server's arrival times; the token buckets allow, over a window w,
    burst + rate * w per task (burst 1 here)."""

    def busiest(window: float) -> int:
        return max(sum(1 for t in times if s <= t < s + window) for s in times) if times else 0

    return {
        "requests": len(times),
        "allowed_in_1s": round(tasks + rate, 1),
        "busiest_1s_window": busiest(1.0),
        "measured_requests_per_s_busiest_5s": round(busiest(5.0) / 5.0, 2),
        "measured_requests_per_s_busiest_20s": round(busiest(20.0) / 20.0, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--articles", type=int, default=40, help="fixture articles in the mirror")
    parser.add_argument("--latency-ms", type=float, default=20.0, help="simulated round trip per request")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument(
        "--rate", type=float, default=15.0, help="acquire.requests_per_second for the job run"
    )
    parser.add_argument("--tasks", type=int, default=2)
    parser.add_argument("--skip-job", action="store_true", help="only the fetch-loop sweep (no Spark)")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "acquire.json")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-acquire-") as tmp:
        work = Path(tmp)
        mirror = build_mirror(corpus_dir(work), work / "mirror", count=args.articles)
        metadata = [
            (mirror.cloud / "metadata" / f"{p}.{v}.json").read_bytes() for p, v in sorted(mirror.articles)
        ]
        results: dict = {"articles": args.articles, "latency_ms": args.latency_ms, "fetch_loop": []}
        urls: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
        stop = multiprocessing.Event()
        times_file = work / "request_times.json"
        server_process = multiprocessing.Process(
            target=serve, args=(mirror.root, args.latency_ms / 1000, urls, stop, times_file), daemon=True
        )
        server_process.start()
        url = urls.get(timeout=60)
        started = None
        try:
            for concurrency in args.concurrency:
                row = fetch_loop(url, metadata, concurrency, work / f"landing-{concurrency}")
                results["fetch_loop"].append(row)
                print(
                    f"fetch loop, {concurrency:>2} concurrent: {row['articles_per_s']:7.2f} articles/s "
                    f"{row['mb_per_s']:6.2f} MB/s ({row['articles']} articles, {row['requests']} requests, "
                    f"{row['seconds']} s)"
                )
            if not args.skip_job:
                job, started = spark_job(url, work, args.rate, args.tasks, max(args.concurrency))
        finally:
            stop.set()
            server_process.join(timeout=60)
        if started is not None:
            times = sorted(t for t in json.loads(times_file.read_text()) if t >= started)
            job.update(request_rates(times, args.tasks, args.rate))
            results["spark_job"] = job
            print(
                f"spark job, {job['tasks']} tasks x {job['concurrency_per_task']} concurrent, limit "
                f"{job['configured_requests_per_s']} req/s: measured "
                f"{job['measured_requests_per_s_busiest_5s']} req/s over the busiest 5 s, "
                f"{job['measured_requests_per_s_busiest_20s']} over the busiest 20 s "
                f"(busiest 1 s: {job['busiest_1s_window']} requests; the token buckets allow "
                f"{job['allowed_in_1s']}), {job['articles_fetched']} articles in {job['job_seconds']} s"
            )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
