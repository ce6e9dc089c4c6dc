"""All Delta Lake I/O of the project: table creation and registration, reads, MERGEs, versions.

Rules (DESIGN.md "Delta I/O rules"): every MERGE deduplicates its source by key first and matches on
null-safe keys; callers commit data tables, then `sources`, then `runs`.
Two addressing modes: `path` (tables at ${lake.root}/<name>, registered in the session catalog under
`lake.database`) and `unity` (Unity Catalog tables `catalog.schema.name`, which may not live in Volumes).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from biomedica_spark.lake import schemas

if TYPE_CHECKING:
    from delta.tables import DeltaTable
    from omegaconf import DictConfig
    from pyspark.sql import Column, DataFrame, SparkSession


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
        from delta.tables import DeltaTable

        for table in tables:
            ddl = schemas.ddl(table)
            if self.mode == "unity":
                self.spark.sql(f"CREATE TABLE IF NOT EXISTS {self.name(table)} ({ddl}) USING delta")
                continue
            if not self.exists(table):
                # StructType.fromDDL is Spark 4 only; an empty DataFrame parses DDL on 3.5 too (no job runs).
                schema = self.spark.createDataFrame([], ddl).schema
                DeltaTable.createIfNotExists(self.spark).location(self.path(table)).addColumns(
                    schema
                ).execute()
            self._register(table)

    def _register(self, table: str) -> None:
        # Path tables are re-registered by every session (no shared metastore needed locally); an
        # external table's DROP never touches its data.
        # An explicit location keeps the session catalog from creating `spark-warehouse/` in the cwd.
        self.spark.sql(
            f"CREATE DATABASE IF NOT EXISTS `{self.database}` "
            f"LOCATION '{self.root}/_catalog/{self.database}.db'"
        )
        location = self.path(table)
        if self.spark.catalog.tableExists(f"{self.database}.{table}"):
            if _same_location(self._registered_location(table) or "", location):
                return
            self.spark.sql(f"DROP TABLE IF EXISTS {self.name(table)}")
        self.spark.sql(f"CREATE TABLE IF NOT EXISTS {self.name(table)} USING delta LOCATION '{location}'")

    def _registered_location(self, table: str) -> str | None:
        """Where the catalog entry points; None when its folder is gone (a deleted lake)."""
        from pyspark.errors import AnalysisException

        try:
            row = self.spark.sql(f"DESCRIBE DETAIL {self.name(table)}").first()
        except AnalysisException:
            return None
        return None if row is None else str(row["location"])

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
        if not self.exists(table):
            return None
        row = self._delta_table(table).history(1).select("version").first()
        return None if row is None else int(row["version"])

    def versions(self, tables: Iterable[str]) -> dict[str, int]:
        return {t: v for t in tables if (v := self.version(t)) is not None}

    # writes --------------------------------------------------------------------------------------
    def insert_new(self, table: str, df: DataFrame, order_by: Sequence[str] = ()) -> None:
        """Insert rows whose key is not in the table yet; existing rows are never touched."""
        keys = schemas.KEYS[table]
        source = dedup_by_key(df, keys, order_by)
        (
            self._delta_table(table)
            .alias("t")
            .merge(source.alias("s"), null_safe_on(keys))
            .whenNotMatchedInsertAll()
            .execute()
        )

    def upsert(
        self, table: str, df: DataFrame, order_by: Sequence[str] = (), update_when: str | None = None
    ) -> None:
        """Insert new keys; update matched rows (only where `update_when` holds, if given)."""
        keys = schemas.KEYS[table]
        source = dedup_by_key(df, keys, order_by)
        (
            self._delta_table(table)
            .alias("t")
            .merge(source.alias("s"), null_safe_on(keys))
            .whenMatchedUpdateAll(condition=update_when)
            .whenNotMatchedInsertAll()
            .execute()
        )

    def delete_matching(self, table: str, df: DataFrame, condition: str) -> None:
        """Delete target rows `t` matched by any row `s` of `df` under `condition`."""
        (self._delta_table(table).alias("t").merge(df.alias("s"), condition).whenMatchedDelete().execute())

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
        if self.mode == "unity":
            df.write.format("delta").mode("append").saveAsTable(self.name(table))
        else:
            df.write.format("delta").mode("append").save(self.path(table))


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
