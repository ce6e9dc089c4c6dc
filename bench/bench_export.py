"""Export benchmark: the Spark job next to the single-process floor, measured in one run.

    .venv/bin/python bench/bench_export.py [--archives 7000] [--top-up 1000] [--samples-per-shard 2000]

- lake:  7,000 generated small-profile archives (~2.7 pairs each), extracted and deduplicated, then 1,000
         more added by incremental extract + dedup; cached under the work dir, not timed (`--min-pairs`
         checks it holds at least 20,000 pairs).
- job:   samples/s and MB/s of tar written, from the first read to the last manifest on local[2] (session
         start excluded), into a fresh export folder.
- floor: the same member bytes the job wrote, held in memory, written into tar files of the same
         shards by a plain single-process loop, times 2 cores.
- read:  the shards streamed back through webdataset exactly as open_clip does (samples/s, one process).
Goal: job >= 0.6 x floor. Results are printed and written to bench/results/export.json.
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
import tarfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CORES = 2


def build_lake(workdir: Path, archives: int, top_up: int, seed: int, master: str) -> Path:
    """Generate, extract and dedup `archives` archives once, then `top_up` more (another seed) through
    incremental extract + dedup; both steps are cached under the work dir."""
    base = workdir / f"export-small-{archives}-{seed}"
    lake, landing = base / "lake", base / "landing"
    built, topped_up = base / "built", base / f"topped-up-{top_up}"
    if built.is_file() and (top_up == 0 or topped_up.is_file()):
        return lake
    from biomedica_spark.config import load_config
    from biomedica_spark.dedup.job import run_dedup
    from biomedica_spark.extract.job import run_extract
    from biomedica_spark.lake.session import get_spark
    from biomedica_spark.samples.generator import generate_corpus

    cfg = load_config([f"landing.root={landing}", f"lake.root={lake}", f"spark.master='{master}'"])
    started = time.perf_counter()
    if not built.is_file():  # written last: a build that crashed half-way is redone
        shutil.rmtree(base, ignore_errors=True)
        generate_corpus(landing, profile="small", archives=archives, seed=seed, broken=False)
        run_extract(get_spark(cfg), cfg)
        run_dedup(get_spark(cfg), cfg)
        built.write_text("extract + dedup done\n")
    if top_up:
        extra = landing / f"top-up-{top_up}"
        shutil.rmtree(extra, ignore_errors=True)
        generate_corpus(extra, profile="small", archives=top_up, seed=seed + 1, broken=False)
        extra.with_name(extra.name + ".truth.json").replace(base / f"top-up-{top_up}.truth.json")
        run_extract(get_spark(cfg), cfg)
        run_dedup(get_spark(cfg), cfg)
        topped_up.write_text("incremental extract + dedup done\n")
    print(f"built the lake ({archives} + {top_up} archives) in {time.perf_counter() - started:.0f} s: {lake}")
    return lake


def job_pass(lake: Path, out: Path, master: str, samples_per_shard: int) -> tuple[float, dict[str, int]]:
    from biomedica_spark.config import load_config
    from biomedica_spark.export.job import run_export
    from biomedica_spark.lake.session import get_spark

    shutil.rmtree(out, ignore_errors=True)
    cfg = load_config(
        [
            f"lake.root={lake}",
            f"export.out={out}",
            f"export.samples_per_shard={samples_per_shard}",
            f"spark.master='{master}'",
        ]
    )
    spark = get_spark(cfg)
    spark.range(1).count()  # session start and JVM warm-up are excluded
    start = time.perf_counter()
    result = run_export(spark, cfg)
    elapsed = time.perf_counter() - start
    phases = spark.read.format("delta").load(str(lake / "runs")).where(f"run_id = '{result.run_id}'").first()
    counts = {k: int(v) for k, v in (phases["counts"] if phases else {}).items() if k.startswith("ms.")}
    return elapsed, counts


def shard_members(out: Path) -> list[tuple[Path, list[tuple[str, bytes]]]]:
    shards = []
    for tar_path in sorted(out.glob("*/*.tar")):
        with tarfile.open(tar_path) as tar:
            members = [(m.name, tar.extractfile(m).read()) for m in tar]  # type: ignore[union-attr]
        shards.append((tar_path, members))
    return shards


def floor_pass(shards: list[tuple[Path, list[tuple[str, bytes]]]], target: Path) -> float:
    """The same bytes into tar files of the same shards, one process, nothing else."""
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    start = time.perf_counter()
    for tar_path, members in shards:
        with tarfile.open(target / f"{tar_path.parent.name}-{tar_path.name}", "w") as tar:
            for name, data in members:
                info = tarfile.TarInfo(name)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return time.perf_counter() - start


def read_pass(out: Path) -> tuple[float, int]:
    import webdataset as wds

    from biomedica_spark.export.shards import brace_pattern

    start = time.perf_counter()
    samples = 0
    for subset_dir in sorted(p for p in out.iterdir() if p.is_dir()):
        shards = len(json.loads((subset_dir / "sizes.json").read_text()))
        if not shards:
            continue
        dataset = wds.WebDataset(brace_pattern(str(subset_dir), shards), shardshuffle=False)
        for _image, _caption in dataset.decode("pilrgb").to_tuple("jpg;png;jpeg;webp", "txt"):
            samples += 1
    return time.perf_counter() - start, samples


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--archives", type=int, default=7000)
    parser.add_argument("--top-up", type=int, default=1000, help="archives added incrementally (seed + 1)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--samples-per-shard", type=int, default=2000)
    parser.add_argument("--min-pairs", type=int, default=20_000)
    parser.add_argument("--workdir", type=Path, default=REPO / "bench" / "work")
    parser.add_argument("--master", default="local[2]")
    args = parser.parse_args()

    lake = build_lake(args.workdir, args.archives, args.top_up, args.seed, args.master)
    from deltalake import DeltaTable

    pairs = DeltaTable(str(lake / "pairs")).to_pyarrow_dataset().count_rows()
    if pairs < args.min_pairs:
        raise SystemExit(
            f"the lake has {pairs} pairs, fewer than --min-pairs {args.min_pairs}: raise --archives"
        )

    out = args.workdir / "export-out"
    job_s, phases = job_pass(lake, out, args.master, args.samples_per_shard)
    shards = shard_members(out)
    samples = sum(len(members) // 3 for _, members in shards)
    tar_mb = sum(p.stat().st_size for p, _ in shards) / 1e6
    floor_s = floor_pass(shards, args.workdir / "export-floor")
    shutil.rmtree(args.workdir / "export-floor", ignore_errors=True)
    read_s, read_samples = read_pass(out)

    floor_mb_s = tar_mb / floor_s * CORES
    job_mb_s = tar_mb / job_s
    result = {
        "pairs_in_lake": pairs,
        "samples_written": samples,
        "shards": len(shards),
        "tar_megabytes": round(tar_mb, 1),
        "job_seconds": round(job_s, 2),
        "job_samples_per_s": round(samples / job_s, 1),
        "job_mb_per_s": round(job_mb_s, 2),
        "job_phases_ms": phases,
        "floor_single_process_seconds": round(floor_s, 3),
        "floor_samples_per_s_x2_cores": round(samples / floor_s * CORES, 1),
        "floor_mb_per_s_x2_cores": round(floor_mb_s, 2),
        "job_vs_floor": round(job_mb_s / floor_mb_s, 3),
        "webdataset_read_samples_per_s": round(read_samples / read_s, 1),
        "webdataset_read_samples": read_samples,
        "samples_per_shard": args.samples_per_shard,
        "master": args.master,
    }
    print(json.dumps(result, indent=1))
    results = REPO / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    (results / "export.json").write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
