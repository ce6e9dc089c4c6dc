"""PubMed parsing throughput of the enrich job on local[2], next to a single-process parse of the same files.

    .venv/bin/python bench/bench_enrich.py [--files 8] [--records 30000] [--articles 20000]

Generates `--files` NLM-shaped `pubmedYYnNNNN.xml.gz` files of `--records` records each (cached under
bench/work/pubmed-<files>x<records>; NLM's own files hold ~30,000 records) and an `articles` table of
`--articles` rows whose PMIDs are drawn from them, then times one `run_enrich` from its first read to the
`runs` commit (session start excluded): parse, stage, MERGE into `pubmed`, join onto `articles`.
Next to it, the same files parsed by `parse_pubmed_bytes` in one process (no Spark, no Delta), times 2
cores: the floor. Results go to bench/results/bench_enrich.json.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from biomedica_spark.enrich.pubmed_xml import parse_pubmed_bytes  # noqa: E402
from biomedica_spark.samples.pubmed import pubmed_file, random_sample  # noqa: E402

FIRST_PMID = 10_000_000


def corpus(files: int, records: int) -> Path:
    folder = REPO / "bench" / "work" / f"pubmed-{files}x{records}"
    done = folder / ".complete"
    if done.exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    rng = random.Random(11)
    for number in range(1, files + 1):
        start = FIRST_PMID + (number - 1) * records
        samples = (random_sample(rng, pmid) for pmid in range(start, start + records))
        (folder / f"pubmed26n{number:04d}.xml.gz").write_bytes(pubmed_file(samples))
    done.touch()
    return folder


def single_process_rate(folder: Path) -> tuple[float, int]:
    start = time.perf_counter()
    records = 0
    for path in sorted(folder.glob("pubmed*.xml.gz")):
        records += sum(1 for _ in parse_pubmed_bytes(path.read_bytes(), path.name, 1 << 31))
    return records / (time.perf_counter() - start), records


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--files", type=int, default=8)
    parser.add_argument("--records", type=int, default=30_000)
    parser.add_argument("--articles", type=int, default=20_000)
    args = parser.parse_args()

    folder = corpus(args.files, args.records)
    size_mb = sum(p.stat().st_size for p in folder.glob("pubmed*.xml.gz")) / 1e6
    floor_rate, records = single_process_rate(folder)

    from biomedica_spark.config import load_config
    from biomedica_spark.enrich.job import run_enrich
    from biomedica_spark.lake.delta_io import Lake, padded_to_schema
    from biomedica_spark.lake.session import get_spark

    with tempfile.TemporaryDirectory(prefix="bench-enrich-") as work:
        cfg = load_config([f"pubmed.root={folder}", f"lake.root={work}/lake", "spark.master='local[2]'"])
        spark = get_spark(cfg)
        lake = Lake(spark, cfg)
        lake.ensure(["articles"])
        rng = random.Random(5)
        pmids = rng.sample(range(FIRST_PMID, FIRST_PMID + records), min(args.articles, records))
        given = spark.createDataFrame([(f"PMC{p}", str(p)) for p in pmids], "article_key string, pmid string")
        lake.upsert("articles", padded_to_schema(given, "articles"))
        start = time.perf_counter()
        result = run_enrich(spark, cfg)
        elapsed = time.perf_counter() - start
        spark.stop()

    job_rate = records / elapsed
    results = {
        "files": args.files,
        "records": records,
        "compressed_mb": round(size_mb, 1),
        "articles": len(pmids),
        "job_seconds": round(elapsed, 1),
        "job_records_per_s": round(job_rate),
        "single_process_records_per_s": round(floor_rate),
        "floor_records_per_s_2_cores": round(2 * floor_rate),
        "job_vs_floor": round(job_rate / (2 * floor_rate), 3),
        "articles_enriched": result.counts.get("articles_enrichment_changed", 0),
        "phases_ms": {k: v for k, v in result.counts.items() if k.startswith("ms.")},
    }
    for key, value in results.items():
        print(f"{key:>32}: {value}")
    out = REPO / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench_enrich.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
