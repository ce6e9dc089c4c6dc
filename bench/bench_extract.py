"""Extract benchmark: the Spark job next to the single-process floor, measured in one run.

    .venv/bin/python bench/bench_extract.py [--archives 3000] [--profile realistic] [--workdir bench/work]

- job:   archives/s and MB/s from the first read to the last Delta commit on local[2] (session start
         excluded), on a fresh lake.
- floor: one process doing only the unavoidable work on the same archives (gunzip + untar + safe XML
         parse + reduced-decode pHash of every referenced image), times 2 cores.
- peers: one process the way image–caption pipelines usually do it (full decode + imagehash.phash).
Goal: job >= 0.7 x floor. Results are printed and written to bench/results/extract.json.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import io
import json
import os
import tarfile
import time
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
IMAGE_EXT = (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".gif")
ARTICLES_TO_PROJECT = 6_400_000


def _members(path: Path) -> list[tuple[str, bytes]]:
    from biomedica_spark.archives.reader import is_ignored_member

    return [(name, blob) for name, blob in _all_members(path) if not is_ignored_member(name)]


def _parse_xml(blob: bytes, parser: object) -> None:
    from lxml import etree

    # A broken file costs the floor what it costs the job: one failed parse.
    with contextlib.suppress(etree.XMLSyntaxError):
        etree.fromstring(blob, parser)  # type: ignore[arg-type]


def _all_members(path: Path) -> list[tuple[str, bytes]]:
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b" or data[257:262] == b"ustar":
        raw = gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
        with tarfile.open(fileobj=io.BytesIO(raw)) as tar:
            return [(m.name, tar.extractfile(m).read()) for m in tar if m.isfile()]  # type: ignore[union-attr]
    if data[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return [(n, zf.read(n)) for n in zf.namelist() if not n.endswith("/")]
    return [(path.name, data)]


def floor_pass(paths: list[Path]) -> float:
    """Only the unavoidable work: inflate, untar, parse XML safely, and hash each figure image the way
    the job must (one reduced decode: sha256, pHash-64, pHash-256, border trim, information score)."""
    from lxml import etree

    from biomedica_spark.images.analyse import analyse_image

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    start = time.perf_counter()
    for path in paths:
        for name, blob in _members(path):
            lower = name.lower()
            if lower.endswith((".xml", ".nxml")):
                _parse_xml(blob, parser)
            elif lower.endswith(IMAGE_EXT) and not lower.endswith(".gif"):
                analyse_image(blob)
    return time.perf_counter() - start


def peers_pass(paths: list[Path]) -> float:
    """The usual single-process loop: full decode and imagehash.phash for every image."""
    import imagehash
    from lxml import etree
    from PIL import Image

    start = time.perf_counter()
    for path in paths:
        for name, blob in _members(path):
            lower = name.lower()
            if lower.endswith((".xml", ".nxml")):
                _parse_xml(blob, etree.XMLParser(resolve_entities=False, no_network=True))
            elif lower.endswith(IMAGE_EXT) and not lower.endswith(".gif"):
                imagehash.phash(Image.open(io.BytesIO(blob)).convert("RGB"))
    return time.perf_counter() - start


def job_pass(landing: Path, lake: Path, master: str) -> tuple[float, dict[str, int], dict[str, int]]:
    import shutil

    from biomedica_spark.config import load_config
    from biomedica_spark.extract.job import run_extract
    from biomedica_spark.lake.session import get_spark
    from biomedica_spark.report import extract_summary

    shutil.rmtree(lake, ignore_errors=True)
    cfg = load_config([f"landing.root={landing}", f"lake.root={lake}", f"spark.master='{master}'"])
    spark = get_spark(cfg)
    spark.range(1).count()  # session start and JVM warm-up are excluded
    start = time.perf_counter()
    result = run_extract(spark, cfg)
    elapsed = time.perf_counter() - start
    summary = extract_summary(spark, cfg)
    # Where the job's time went: the phases the run recorded in its `runs` row (ms.<phase>).
    run = spark.read.format("delta").load(str(lake / "runs")).where(f"run_id = '{result.run_id}'").first()
    phases = {k[3:]: int(v) for k, v in sorted((run["counts"] if run else {}).items()) if k.startswith("ms.")}
    return elapsed, {k: v for k, v in summary.items() if isinstance(v, int)}, phases


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--archives", type=int, default=3000)
    parser.add_argument("--profile", default="realistic")
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--workdir", type=Path, default=REPO / "bench" / "work")
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--peers-sample", type=int, default=300, help="archives timed for the peers' loop")
    args = parser.parse_args()

    from biomedica_spark.samples.generator import generate_corpus

    landing = args.workdir / f"extract-{args.profile}-{args.archives}-{args.seed}" / "landing"
    if not landing.is_dir():
        t = time.perf_counter()
        generate_corpus(landing, profile=args.profile, archives=args.archives, seed=args.seed, broken=False)
        print(f"generated {args.archives} {args.profile} archives in {time.perf_counter() - t:.0f} s")
    paths = sorted(p for p in landing.rglob("*") if p.is_file())
    total_mb = sum(p.stat().st_size for p in paths) / 1e6
    cores = 2

    floor_s = floor_pass(paths)
    peers_paths = paths[: args.peers_sample]
    peers_s = peers_pass(peers_paths) * len(paths) / len(peers_paths)
    job_s, summary, phases = job_pass(landing, args.workdir / "lake", args.master)

    floor_rate = len(paths) / floor_s * cores
    job_rate = len(paths) / job_s
    result = {
        "archives": len(paths),
        "megabytes": round(total_mb, 1),
        "job_seconds": round(job_s, 1),
        "job_archives_per_s": round(job_rate, 2),
        "job_mb_per_s": round(total_mb / job_s, 2),
        "floor_single_process_seconds": round(floor_s, 1),
        "floor_archives_per_s_x2_cores": round(floor_rate, 2),
        "floor_mb_per_s_x2_cores": round(total_mb / floor_s * cores, 2),
        "job_over_floor": round(job_rate / floor_rate, 3),
        "peers_archives_per_s_single_process": round(len(paths) / peers_s, 2),
        "projected_core_hours_6_4M_articles_job": round(ARTICLES_TO_PROJECT / (job_rate / cores) / 3600, 1),
        "projected_core_hours_6_4M_articles_peers": round(
            ARTICLES_TO_PROJECT / (len(paths) / peers_s) / 3600, 1
        ),
        "job_phases_ms": phases,
        "tables": summary,
        "cpu_count": os.cpu_count(),
    }
    out = REPO / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "extract.json").write_text(json.dumps(result, indent=2))
    for key, value in result.items():
        print(f"{key:<45} {value}")


if __name__ == "__main__":
    main()
