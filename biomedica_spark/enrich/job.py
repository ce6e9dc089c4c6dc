"""The enrich job: PubMed/MEDLINE files -> `pubmed` -> the PubMed columns of `articles`, joined on PMID.

BIOMEDICA fetched these fields from Entrez one request at a time and matched results by position, so one
dropped record shifted every later article's MeSH terms. Here they come from NLM's bulk files by a join:
1. New or changed `pubmed*.xml(.gz)` files under `pubmed.root` (unchanged (path, size, mtime) in
   `pubmed_files` are skipped) are parsed once each in a `mapInArrow` UDF and staged as Parquet.
2. `pubmed` is upserted keeping the newest event per PMID by `record_order` (file year, file number,
   position); a `DeleteCitation` is a tombstone row, so an older file read later cannot resurrect it.
3. Quarantine rows, then `pubmed_files` (which marks the files done).
4. `articles` gets the enrichment columns of every article whose PMID has a live record, where they
   differ; articles without a PMID or without a record keep their values and are counted.
A crash anywhere is safe to re-run: steps 2-3 are keyed MERGEs and step 4 always runs on the full tables.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from biomedica_spark.enrich.pubmed_xml import Deletion, PubmedRecord, parse_pubmed_bytes
from biomedica_spark.lake import schemas, staging
from biomedica_spark.lake.delta_io import Lake, absolute_uri
from biomedica_spark.lake.fs import require_folder
from biomedica_spark.quarantine import QuarantineItem
from biomedica_spark.runs import RunRecorder

if TYPE_CHECKING:
    import pyarrow as pa
    from omegaconf import DictConfig
    from pyspark.sql import DataFrame, SparkSession

log = logging.getLogger(__name__)

ENRICH_TABLES = ("pubmed", "quarantine", "pubmed_files", "articles", "runs")
PUBMED_FILE_PATTERN = r"(?i)(^|/)pubmed\d{2}n\d+\.xml(\.gz)?$"
ROWS_PER_BATCH = 2000


def stage_ddl() -> str:
    return (
        f"kind string, pubmed struct<{schemas.ddl('pubmed')}>, "
        f"quarantine struct<{schemas.ddl('quarantine')}>, file struct<{schemas.ddl('pubmed_files')}>"
    )


@dataclass
class EnrichResult:
    run_id: str
    counts: dict[str, int]  # the run's counts, as in its `runs` row


def run_enrich(spark: SparkSession, cfg: DictConfig) -> EnrichResult:
    from pyspark.sql import functions as F

    from biomedica_spark.extract.job import list_landing

    lake = Lake(spark, cfg)
    lake.ensure(ENRICH_TABLES)
    recorder = RunRecorder(lake, "enrich", cfg)
    root = absolute_uri(str(cfg.pubmed.root))
    require_folder(root, "pubmed.root")
    staging.clear_stale(lake, "enrich")

    listing = list_landing(spark, root)
    is_pubmed = F.col("path").rlike(PUBMED_FILE_PATTERN)
    recorder.count("files_ignored", listing.where(~is_pubmed).count())  # e.g. NLM's .md5 files
    done = lake.read("pubmed_files").select("path", F.col("size").alias("length"), F.col("mtime"))
    todo = (
        listing.where(is_pubmed)
        .join(done, (listing.path == done.path) & (listing.length == done.length), "left")
        .where(done.path.isNull() | (listing.modificationTime != done.mtime))
        .select(listing.path, listing.length)
        .orderBy("path")
        .collect()
    )
    recorder.count("files_listed", listing.where(is_pubmed).count())
    recorder.count("files_to_parse", len(todo))
    recorder.read_versions(["pubmed", "articles"])

    batch_files = int(cfg.pubmed.batch_files)
    for start in range(0, len(todo), batch_files):
        batch = [row["path"] for row in todo[start : start + batch_files]]
        _process_batch(spark, lake, cfg, recorder, batch)

    with recorder.timed("enrich_articles"):
        enrich_articles(lake, recorder)
    recorder.finish(written_tables=ENRICH_TABLES[:-1])
    return EnrichResult(recorder.run_id, dict(recorder.counts))


def _process_batch(
    spark: SparkSession, lake: Lake, cfg: DictConfig, recorder: RunRecorder, paths: list[str]
) -> None:
    stage_path = staging.stage_path(lake, "enrich", recorder.run_id)
    files = spark.read.format("binaryFile").load(paths)
    parse = _parse_udf(spark, int(cfg.pubmed.max_file_bytes), recorder.run_id)
    with recorder.timed("parse_and_stage"):
        # One file per task: each inflates to ~200 MB of XML, parsed as a stream.
        (
            files.repartition(len(paths))
            .mapInArrow(parse, stage_ddl())
            .write.mode("overwrite")
            .partitionBy("kind")
            .parquet(stage_path)
        )
    stage = spark.read.parquet(stage_path)

    def rows(kind: str) -> DataFrame:
        return stage.where(f"kind = '{kind}'").select(f"{kind}.*")

    for kind, n in stage.groupBy("kind").count().collect():
        recorder.add_count(f"{kind}_rows_staged", n)
    with recorder.timed("merge_pubmed"):
        # The newest event per PMID wins, within the batch and against the table.
        lake.upsert(
            "pubmed",
            rows("pubmed"),
            order_by=["record_order DESC"],
            update_when="s.record_order > t.record_order",
        )
    with recorder.timed("merge_quarantine"):
        lake.insert_new("quarantine", rows("quarantine"))
    with recorder.timed("merge_pubmed_files"):
        lake.upsert("pubmed_files", rows("file"))
    staging.remove(stage_path)


def enrich_articles(lake: Lake, recorder: RunRecorder) -> int:
    """Copy the live PubMed record of each article's PMID into its enrichment columns (where they
    differ). Returns the articles changed; counts what could not be enriched and why."""
    from pyspark.sql import functions as F

    articles = lake.read("articles").select("article_key", "pmid")
    live = lake.read("pubmed").where("NOT is_deleted")
    enriched = articles.join(live, "pmid", "inner").select(
        "article_key",
        "mesh_terms",
        "publication_types",
        "chemicals",
        "grants",
        F.col("abstract").alias("pubmed_abstract"),
        "journal_iso",
        F.col("record_order").alias("pubmed_record_order"),
    )
    summary = articles.join(live.select("pmid", F.lit(True).alias("_found")), "pmid", "left").agg(
        F.count("*").alias("articles"),
        F.sum(F.when(F.col("pmid").isNull(), 1).otherwise(0)).alias("without_pmid"),
        F.sum(F.when(F.col("pmid").isNotNull() & F.col("_found").isNull(), 1).otherwise(0)).alias(
            "not_found"
        ),
    )
    row = summary.first()
    if row is not None:
        recorder.count("articles", row["articles"] or 0)
        recorder.count("articles_without_pmid", row["without_pmid"] or 0)
        recorder.count("articles_pmid_not_in_pubmed", row["not_found"] or 0)
    changed = lake.update_columns("articles", enriched, schemas.ARTICLE_ENRICHMENT_COLUMNS)
    recorder.count("articles_enrichment_changed", changed)
    return changed


def _parse_udf(
    spark: SparkSession, max_bytes: int, run_id: str
) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    from biomedica_spark.lake.arrow import arrow_schema, record_batches

    schema = arrow_schema(spark.createDataFrame([], stage_ddl()).schema)

    def parse(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        records = (record for batch in batches for record in batch.to_pylist())
        rows = (row for record in records for row in file_rows(record, max_bytes, run_id))
        yield from record_batches(rows, schema, ROWS_PER_BATCH)

    return parse


def file_rows(record: dict[str, Any], max_bytes: int, run_id: str) -> Iterator[dict[str, Any]]:
    """Staged rows of one binaryFile record: its pubmed rows, quarantine rows, then its pubmed_files row."""
    now = dt.datetime.now(dt.timezone.utc)
    path = record["path"]
    counts = {"records": 0, "deletions": 0, "quarantined": 0}
    for event in parse_pubmed_bytes(record["content"] or b"", path, max_bytes):
        if isinstance(event, QuarantineItem):
            counts["quarantined"] += 1
            yield {"kind": "quarantine", "quarantine": event.as_row(path, run_id, now)}
        elif isinstance(event, Deletion):
            counts["deletions"] += 1
            yield {"kind": "pubmed", "pubmed": tombstone_row(event, run_id)}
        else:
            counts["records"] += 1
            yield {"kind": "pubmed", "pubmed": pubmed_row(event, run_id)}
    file_row = {"path": path, "size": record["length"], "mtime": record["modificationTime"]}
    yield {"kind": "file", "file": {**file_row, **counts, "run_id": run_id, "processed_at": now}}


def pubmed_row(record: PubmedRecord, run_id: str) -> dict[str, Any]:
    return {
        "pmid": record.pmid,
        "record_order": record.record_order,
        "is_deleted": False,
        "pmid_version": record.pmid_version,
        "status": record.status,
        "pmcid": record.pmcid,
        "doi": record.doi,
        "title": record.title,
        "abstract": record.abstract,
        "journal_title": record.journal_title,
        "journal_iso": record.journal_iso,
        "medline_ta": record.medline_ta,
        "mesh_terms": [
            {
                "descriptor": m.descriptor,
                "descriptor_ui": m.descriptor_ui,
                "major_topic": m.major_topic,
                "qualifiers": [{"name": n, "ui": ui, "major_topic": major} for n, ui, major in m.qualifiers],
            }
            for m in record.mesh
        ],
        "publication_types": record.publication_types,
        "chemicals": [{"name": n, "ui": ui, "registry_number": reg} for n, ui, reg in record.chemicals],
        "grants": [
            {"grant_id": g, "acronym": a, "agency": ag, "country": c} for g, a, ag, c in record.grants
        ],
        "keywords": record.keywords,
        "pub_year": record.pub_year,
        "date_completed": record.date_completed,
        "date_revised": record.date_revised,
        "pubmed_date": record.pubmed_date,
        "source_file": record.source_file,
        "run_id": run_id,
    }


def tombstone_row(deletion: Deletion, run_id: str) -> dict[str, Any]:
    return {
        "pmid": deletion.pmid,
        "record_order": deletion.record_order,
        "is_deleted": True,
        "source_file": deletion.source_file,
        "run_id": run_id,
    }
