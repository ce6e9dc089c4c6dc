"""All Delta Lake I/O of the project: table creation and registration, reads, MERGEs, versions.

Rules (DESIGN.md "Delta I/O rules"): every MERGE deduplicates its source by key first and matches on
null-safe keys; callers commit data tables, then `sources`, then `runs`.
Two addressing modes: `path` (tables at ${lake.root}/<name>, registered in the session catalog under
`lake.database`) and `unity` (Unity Catalog tables `catalog.schema.name`, which may not live in Volumes).
"""

from __future__ import annotations

import logging
import random
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from biomedica_spark import faults
from biomedica_spark.lake import schemas
from biomedica_spark.lake.session import temporary_conf

if TYPE_CHECKING:
    from delta.tables import DeltaTable
    from omegaconf import DictConfig
    from pyspark.sql import Column, DataFrame, Row, SparkSession
    from pyspark.sql.types import StructType

log = logging.getLogger(__name__)

# A commit that loses a race with a concurrent job runs again on the new snapshot: every write here is
# a keyed MERGE or a blind append, so running it again is idempotent.
COMMIT_ATTEMPTS = 5

# A commit file in `_delta_log`, and the folder where a commit coordinator stages commits before it
# writes them there (Delta 4 creates it empty for every table).
_COMMIT_FILE = re.compile(r"(\d{20})\.json")
STAGED_COMMITS = "_staged_commits"

# The setting Delta's VACUUM reads for its listing and delete tasks (Lake.vacuum).
VACUUM_LISTING_KEY = "spark.sql.sources.parallelPartitionDiscovery.parallelism"
# Delta's commit-conflict exceptions: separate classes, not one hierarchy, on Delta 3 and 4.
_CONFLICT_NAMES = (
    "DeltaConcurrentModificationException",
    "ConcurrentWriteException",
    "MetadataChangedException",
    "ProtocolChangedException",
    "ConcurrentAppendException",
    "ConcurrentDeleteReadException",
    "ConcurrentDeleteDeleteException",
    "ConcurrentTransactionException",
)


def latest_commit_version(log_file_names: Iterable[str]) -> int | None:
    """A Delta table's current version from the names in its `_delta_log` folder: its newest commit file,
    `<version, 20 digits>.json` (Delta's log cleanup removes old commits, never the newest); None when
    there is no commit yet."""
    versions = [int(m.group(1)) for name in log_file_names if (m := _COMMIT_FILE.fullmatch(name))]
    return max(versions, default=None)


def null_safe_on(keys: Sequence[str], target: str = "t", source: str = "s") -> str:
    return " AND ".join(f"{target}.`{k}` <=> {source}.`{k}`" for k in keys)


def sort_column(term: str) -> Column:
    """A SQL sort term ("expr DESC") as a Column; F.expr alone would read DESC as an alias."""
    from pyspark.sql import functions as F

    body, _, direction = term.strip().rpartition(" ")
    if direction.upper() == "DESC":
        return F.expr(body).desc()
    if direction.upper() == "ASC":
        return F.expr(body).asc()
    return F.expr(term)


def dedup_by_key(df: DataFrame, keys: Sequence[str], order_by: Sequence[str] = ()) -> DataFrame:
    """One row per key: the first by `order_by` (SQL sort expressions), else an arbitrary but whole row."""
    if not order_by:
        return df.dropDuplicates(list(keys))
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    window = Window.partitionBy(*keys).orderBy(*[sort_column(o) for o in order_by])
    return df.withColumn("_rank", F.row_number().over(window)).where("_rank = 1").drop("_rank")


def dedup_wide_by_key(df: DataFrame, keys: Sequence[str], order_by: Sequence[str]) -> DataFrame:
    """`dedup_by_key` for rows too wide to shuffle (image bytes): the ranking runs on the key and order
    columns alone, and the winners pick their rows through a broadcast semi-join, so the wide rows never
    move. `order_by` are plain column names that, with the keys, identify a row; the winners (one small
    row per key) must fit in a broadcast."""
    from pyspark.sql import functions as F

    identity = [*keys, *order_by]
    winners = dedup_by_key(df.select(*identity), keys, order_by)
    return (
        df.alias("s")
        .join(F.broadcast(winners).alias("w"), F.expr(null_safe_on(identity, "w", "s")), "left_semi")
        .select("s.*")
    )


@dataclass(frozen=True)
class TableDetail:
    """What DESCRIBE DETAIL says about a table's current version."""

    files: int
    size_bytes: int
    properties: dict[str, str]


class Lake:
    def __init__(self, spark: SparkSession, cfg: DictConfig) -> None:
        self.spark = spark
        self.root = absolute_uri(str(cfg.lake.root))
        self.mode = str(cfg.lake.mode)
        self.database = str(cfg.lake.database)
        self.catalog = cfg.lake.get("catalog")
        self.schema = cfg.lake.get("schema")
        if self.mode not in ("path", "unity"):
            raise ValueError(f"lake.mode must be 'path' or 'unity', got {self.mode!r}")
        if self.mode == "unity" and not (self.catalog and self.schema):
            raise ValueError("lake.mode=unity needs lake.catalog and lake.schema")

    # addressing ---------------------------------------------------------------------------------
    def path(self, table: str) -> str:
        return f"{self.root}/{table}"

    def name(self, table: str) -> str:
        if self.mode == "unity":
            return f"`{self.catalog}`.`{self.schema}`.`{table}`"
        return f"`{self.database}`.`{table}`"

    def _delta_table(self, table: str) -> DeltaTable:
        from delta.tables import DeltaTable

        if self.mode == "unity":
            return DeltaTable.forName(self.spark, self.name(table))
        return DeltaTable.forPath(self.spark, self.path(table))

    # lifecycle ----------------------------------------------------------------------------------
    def ensure(self, tables: Iterable[str]) -> None:
        """Create missing tables with their schema and register them in the catalog."""
        if self.mode == "path":
            self.spark.sql(
                f"CREATE DATABASE IF NOT EXISTS `{self.database}` "
                f"LOCATION '{self.root}/_catalog/{self.database}.db'"
            )
        for table in tables:
            ddl = schemas.ddl(table)
            if self.mode == "unity":
                self.spark.sql(f"CREATE TABLE IF NOT EXISTS {self.name(table)} ({ddl}) USING delta")
                self._add_missing_columns(table)
                continue
            if not self.exists(table):
                # StructType.fromDDL is Spark 4 only; an empty DataFrame parses DDL on 3.5 too (no job runs).
                self._create(table, self.spark.createDataFrame([], ddl).schema)
            else:
                self._add_missing_columns(table)
            self._register(table)

    def _add_missing_columns(self, table: str) -> None:
        """A lake written by an older release lacks columns added since: add them (nullable, no rewrite)."""
        present = {c.lower() for c in self.read(table).columns}
        wanted = self.spark.createDataFrame([], schemas.ddl(table)).schema
        missing = [
            f"`{f.name}` {f.dataType.simpleString()}" for f in wanted.fields if f.name.lower() not in present
        ]
        if missing:
            target = f"delta.`{self.path(table)}`" if self.mode == "path" else self.name(table)
            self.spark.sql(f"ALTER TABLE {target} ADD COLUMNS ({', '.join(missing)})")

    def _register(self, table: str) -> None:
        # Path tables are re-registered by every session (no shared metastore needed locally); an
        # external table's DROP never touches its data.
        # ensure() created the database, with an explicit location so that the session catalog does
        # not create `spark-warehouse/` in the cwd.
        from pyspark.errors import AnalysisException

        location = self.path(table)
        try:
            registered = self.spark.catalog.tableExists(f"{self.database}.{table}")
        except AnalysisException:  # an entry whose folder is gone (a deleted lake): Delta cannot load it
            registered = False
            self._drop_catalog_entry(table)
        if registered:
            registered_location = self._registered_location(table)
            if _same_location(registered_location or "", location):
                return
            if registered_location is None:  # unreadable: Delta's DROP TABLE would fail loading it too
                self._drop_catalog_entry(table)
            else:
                self.spark.sql(f"DROP TABLE IF EXISTS {self.name(table)}")
        self.spark.sql(f"CREATE TABLE IF NOT EXISTS {self.name(table)} USING delta LOCATION '{location}'")

    def _drop_catalog_entry(self, table: str) -> None:
        """Remove a path table's entry from the session catalog without looking at its data (there is
        none left to keep or lose): SessionCatalog.dropTable, the same on Spark 3.5 and 4."""
        jvm: Any = self.spark.sparkContext._jvm
        identifier = jvm.org.apache.spark.sql.catalyst.TableIdentifier(
            table, jvm.scala.Option.apply(self.database)
        )
        jsession: Any = self.spark._jsparkSession
        jsession.sessionState().catalog().dropTable(identifier, True, False)

    def _registered_location(self, table: str) -> str | None:
        """Where the catalog entry points; None when it cannot be read (its folder is gone: a deleted
        lake). The catalog entry says it: DESCRIBE DETAIL would also size the table from its snapshot,
        which costs seconds per table the first time in a session."""
        from pyspark.errors import AnalysisException

        try:
            described = self.spark.sql(f"DESCRIBE TABLE EXTENDED {self.name(table)}")
            rows = described.where("col_name = 'Location'").collect()
        except AnalysisException:
            return None
        return str(rows[0]["data_type"]) if rows else None

    def exists(self, table: str) -> bool:
        if self.mode == "unity":
            return bool(self.spark.catalog.tableExists(self.name(table).replace("`", "")))
        from delta.tables import DeltaTable

        return bool(DeltaTable.isDeltaTable(self.spark, self.path(table)))

    # reads ---------------------------------------------------------------------------------------
    def read(self, table: str, version: int | None = None) -> DataFrame:
        if self.mode == "unity":
            if version is None:
                return self.spark.table(self.name(table))
            return self.spark.sql(f"SELECT * FROM {self.name(table)} VERSION AS OF {int(version)}")
        reader = self.spark.read.format("delta")
        if version is not None:
            reader = reader.option("versionAsOf", int(version))
        return reader.load(self.path(table))

    def version(self, table: str) -> int | None:
        """The table's current version; None when it does not exist. Every job records the versions it
        read and wrote, and the pipeline compares them to decide what to skip: tens of calls per run."""
        jvm = self.spark._jvm  # None on Spark Connect, where only Delta can tell
        if self.mode == "path" and jvm is not None:
            log_dir = f"{self.path(table)}/_delta_log"
            names = self._file_names(jvm, log_dir)
            if names is None:
                return None
            if STAGED_COMMITS not in names or not self._file_names(jvm, f"{log_dir}/{STAGED_COMMITS}"):
                return latest_commit_version(names)
        if not self.exists(table):
            return None
        # A catalog or a commit coordinator may hold commits the log folder does not show yet: ask Delta.
        # (DeltaTable.history costs ~0.3 s a call, the folder listing above ~0.01 s.)
        row = self._delta_table(table).history(1).select("version").first()
        return None if row is None else int(row["version"])

    def _file_names(self, jvm: Any, folder: str) -> list[str] | None:
        """The names in a folder, listed through the session's Hadoop file system (the one Delta uses,
        with the session's credentials); None when it is missing."""
        path = jvm.org.apache.hadoop.fs.Path(folder)
        fs = path.getFileSystem(self.spark._jsparkSession.sessionState().newHadoopConf())
        if not fs.exists(path):
            return None
        # ~1 ms a file through py4j: a log kept 30 days holds tens to hundreds of files.
        return [str(status.getPath().getName()) for status in fs.listStatus(path)]

    def versions(self, tables: Iterable[str]) -> dict[str, int]:
        return {t: v for t in tables if (v := self.version(t)) is not None}

    # writes --------------------------------------------------------------------------------------
    def insert_new(
        self, table: str, df: DataFrame, order_by: Sequence[str] = (), wide_rows: bool = False
    ) -> None:
        """Insert rows whose key is not in the table yet; existing rows are never touched. `wide_rows`:
        deduplicate with `dedup_wide_by_key` (then `order_by` must be column names identifying a row)."""
        keys = schemas.KEYS[table]
        source = dedup_wide_by_key(df, keys, order_by) if wide_rows else dedup_by_key(df, keys, order_by)
        self._commit(
            table,
            self._delta_table(table)
            .alias("t")
            .merge(source.alias("s"), null_safe_on(keys))
            .whenNotMatchedInsertAll()
            .execute,
        )

    def upsert(
        self,
        table: str,
        df: DataFrame,
        order_by: Sequence[str] = (),
        update_when: str | None = None,
        preserve: Sequence[str] = (),
    ) -> None:
        """Insert new keys; update matched rows (only where `update_when` holds, if given), leaving the
        `preserve` columns of matched rows as they are (columns another job owns)."""
        keys = schemas.KEYS[table]
        source = dedup_by_key(df, keys, order_by)
        merge = self._delta_table(table).alias("t").merge(source.alias("s"), null_safe_on(keys))
        if preserve:
            kept = {c.lower() for c in preserve}
            merge = merge.whenMatchedUpdate(
                condition=update_when, set={f"`{c}`": f"s.`{c}`" for c in df.columns if c.lower() not in kept}
            )
        else:
            merge = merge.whenMatchedUpdateAll(condition=update_when)
        self._commit(table, merge.whenNotMatchedInsertAll().execute)

    @contextmanager
    def merging_fixed_sources(self) -> Iterator[None]:
        """For MERGEs whose source keeps its keys however often it is computed: built from Parquet written
        once (a run's staging). Delta copies any non-Delta source to local disk before a MERGE, lest its
        two passes (find the files holding matched keys, then rewrite them) see different keys."""
        with temporary_conf(self.spark, {"spark.databricks.delta.merge.materializeSource": "none"}):
            yield

    def update_columns(self, table: str, df: DataFrame, columns: Sequence[str]) -> int:
        """Set `columns` of the rows `df` matches by key, where a value differs (null-safe); other columns
        and unmatched keys are left alone. Returns the rows changed; nothing to change means no commit."""
        keys = schemas.KEYS[table]
        source = dedup_by_key(df.select(*keys, *columns), keys).alias("s")
        target = self.read(table).select(*keys, *columns).alias("t")
        differs = " OR ".join(f"NOT (s.`{c}` <=> t.`{c}`)" for c in columns)
        from pyspark.sql import functions as F

        changed = source.join(target, F.expr(null_safe_on(keys)), "inner").where(differs).select("s.*")
        count = changed.count()
        if count:
            self._commit(
                table,
                self._delta_table(table)
                .alias("t")
                .merge(changed.alias("s"), null_safe_on(keys))
                .whenMatchedUpdate(set={f"`{c}`": f"s.`{c}`" for c in columns})
                .execute,
            )
        return count

    def delete_matching(self, table: str, df: DataFrame, condition: str) -> None:
        """Delete target rows `t` matched by any row `s` of `df` under `condition`."""
        self._commit(
            table,
            self._delta_table(table).alias("t").merge(df.alias("s"), condition).whenMatchedDelete().execute,
        )

    def sync(self, table: str, df: DataFrame, ignore: Sequence[str] = ()) -> tuple[int, int]:
        """Make the table hold exactly the rows of `df` (its full intended content), writing only rows
        that are new or differ (null-safe) in a column outside `ignore` (e.g. the run id), and deleting
        rows whose key `df` lacks. Nothing to change means no commit. Returns (upserted, deleted)."""
        from pyspark.sql import functions as F

        keys = schemas.KEYS[table]
        source = dedup_by_key(df, keys).alias("s")
        target = self.read(table).withColumn("_present", F.lit(True)).alias("t")
        compared = [c for c in df.columns if c not in keys and c not in ignore]
        differs = " OR ".join(f"NOT (s.`{c}` <=> t.`{c}`)" for c in compared) or "false"
        changed = (
            source.join(target, F.expr(null_safe_on(keys)), "left")
            .where(f"t._present IS NULL OR {differs}")
            .select("s.*")
        )
        upserted = changed.count()
        if upserted:
            self.upsert(table, changed)
        missing = target.join(source, F.expr(null_safe_on(keys)), "left_anti").select(
            *[f"t.`{k}`" for k in keys]
        )
        deleted = missing.count()
        if deleted:
            self.delete_matching(table, missing, null_safe_on(keys))
        return upserted, deleted

    def append(self, table: str, df: DataFrame) -> None:
        writer = df.write.format("delta").mode("append")
        if self.mode == "unity":
            self._commit(table, lambda: writer.saveAsTable(self.name(table)))
        else:
            self._commit(table, lambda: writer.save(self.path(table)))

    # maintenance (jobs/maintain.py) -------------------------------------------------------------
    def _sql_target(self, table: str) -> str:
        return f"delta.`{self.path(table)}`" if self.mode == "path" else self.name(table)

    def detail(self, table: str) -> TableDetail:
        row = self._delta_table(table).detail().first()
        if row is None:
            raise RuntimeError(f"DESCRIBE DETAIL returned nothing for {table}")
        properties = {str(k): str(v) for k, v in (row["properties"] or {}).items()}
        return TableDetail(int(row["numFiles"] or 0), int(row["sizeInBytes"] or 0), properties)

    def optimize(self, table: str) -> tuple[int, int]:
        """OPTIMIZE (bin-packing compaction): returns (files removed, files added). A table with nothing
        to compact gets no commit."""
        metrics: list[Row] = []

        def compact() -> None:
            row = self._delta_table(table).optimize().executeCompaction().first()
            if row is not None:
                metrics.append(row["metrics"])

        self._commit(table, compact)
        if not metrics:
            return 0, 0
        return int(metrics[-1]["numFilesRemoved"]), int(metrics[-1]["numFilesAdded"])

    def set_properties(self, table: str, properties: Mapping[str, str]) -> None:
        if not properties:
            return
        assignments = ", ".join(f"'{key}' = '{value}'" for key, value in properties.items())
        self._commit(
            table,
            lambda: self.spark.sql(
                f"ALTER TABLE {self._sql_target(table)} SET TBLPROPERTIES ({assignments})"
            ),
        )

    def vacuum(
        self,
        table: str,
        retention_hours: float,
        dry_run: bool,
        enforce_retention_check: bool = True,
        listing_tasks: int = 0,
    ) -> tuple[int, list[str]]:
        """VACUUM: delete data files that no version inside `retention_hours` needs. Returns how many files
        it deletes (or, dry run, would delete) and a few of their paths. `enforce_retention_check=False`
        lifts Delta's safety floor for this call only (the session setting is restored afterwards).

        `listing_tasks` (0: the session's default parallelism) is how many tasks list and delete the
        table's files. Delta takes it from spark.sql.sources.parallelPartitionDiscovery.parallelism,
        10,000 by default: 10,000 tasks per VACUUM, nearly three minutes for a small table on local[2]."""
        statement = f"VACUUM {self._sql_target(table)} RETAIN {retention_hours:.6f} HOURS"
        settings = {VACUUM_LISTING_KEY: str(listing_tasks or self._default_parallelism())}
        if not enforce_retention_check:
            settings["spark.databricks.delta.retentionDurationCheck.enabled"] = "false"
        with temporary_conf(self.spark, settings):
            # The dry run lists what the real VACUUM deletes: counted here, never collected whole.
            listed = self.spark.sql(f"{statement} DRY RUN")
            count = listed.count()
            sample = [str(row["path"]) for row in listed.limit(5).collect()]
            if count and not dry_run:
                self.spark.sql(statement).collect()
        return count, sample

    def _default_parallelism(self) -> int:
        try:
            return int(self.spark.sparkContext.defaultParallelism)
        except Exception:  # Spark Connect sessions have no SparkContext: Spark's own shuffle default
            return int(self.spark.conf.get("spark.sql.shuffle.partitions", "200") or 200)

    def _create(self, table: str, schema: StructType) -> None:
        """Create a path table. Another job creating it at the same moment makes Delta refuse the
        half-made folder (not empty, not a table yet): wait, then the next attempt finds its table."""
        from delta.tables import DeltaTable
        from pyspark.errors import AnalysisException

        create = DeltaTable.createIfNotExists(self.spark).location(self.path(table)).addColumns(schema)
        for attempt in range(1, COMMIT_ATTEMPTS + 1):
            try:
                self._commit(table, create.execute)
                return
            except AnalysisException:
                if attempt == COMMIT_ATTEMPTS:
                    raise
                log.warning("%s: being created by another job, attempt %d", table, attempt + 1)
                time.sleep(random.uniform(0.5, 1.5) * attempt)

    def _commit(self, table: str, write: Callable[[], object]) -> None:
        """Run one committing write; when a concurrent writer's commit conflicts with it, run it again
        (a MERGE re-reads the table's latest snapshot), a bounded number of times with jittered back-off."""
        from delta import exceptions

        conflicts = tuple(getattr(exceptions, name) for name in _CONFLICT_NAMES)
        for attempt in range(1, COMMIT_ATTEMPTS + 1):
            try:
                write()
                break
            except conflicts as conflict:
                if attempt == COMMIT_ATTEMPTS:
                    raise
                log.warning(
                    "%s: lost a commit race (%s), attempt %d", table, type(conflict).__name__, attempt + 1
                )
                time.sleep(random.uniform(0.5, 1.5) * attempt)
        faults.committed()


def absolute_uri(root: str) -> str:
    """Relative local paths become absolute, so the catalog, the driver and the workers agree."""
    import os

    if "://" in root or root.startswith("file:"):
        return root.rstrip("/")
    return os.path.abspath(root).rstrip("/")


def _same_location(a: str, b: str) -> bool:
    def norm(p: str) -> str:
        for prefix in ("file://", "file:"):
            if p.startswith(prefix):
                p = p[len(prefix) :]
        return p.rstrip("/")

    return norm(a) == norm(b)


def padded_to_schema(df: DataFrame, table: str) -> DataFrame:
    """`df` with every column of `table` in table order; columns `df` lacks are typed nulls."""
    from pyspark.sql import functions as F

    schema = df.sparkSession.createDataFrame([], schemas.ddl(table)).schema
    return df.select(
        *[
            F.col(f.name) if f.name in df.columns else F.lit(None).cast(f.dataType).alias(f.name)
            for f in schema.fields
        ]
    )
