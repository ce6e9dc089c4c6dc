"""SQL over the lake: every table under `lake.root` registered in the catalog, one query, a text table.

python jobs/sql.py lake.root=DIR --query "SELECT license_subset, count(*) FROM biomedica.pairs GROUP BY 1"
make sql Q="SELECT ..." [LAKE=DIR]

Path-mode tables are registered under `lake.database` (default `biomedica`) exactly as the jobs register
them (`Lake.ensure`); on Unity Catalog they are catalog tables already (`catalog.schema.table`). Only
read statements run here: writes go through the jobs, which keep the lake's invariants.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from biomedica_spark.lake import schemas

if TYPE_CHECKING:
    from omegaconf import DictConfig
    from pyspark.sql import DataFrame, SparkSession

READ_STATEMENTS = ("select", "with", "show", "describe", "desc", "explain", "values", "table")


class QueryError(ValueError):
    """A query this tool does not run (empty, several statements, or a write)."""


def read_only_query(text: str) -> str:
    """The query without surrounding blanks and trailing semicolons; a write or a script is refused."""
    query = text.strip().rstrip(";").strip()
    code = _code_only(query)
    if not code.strip():
        raise QueryError("empty query")
    if ";" in code:
        raise QueryError("one statement per query")
    first = code.split(None, 1)[0].lower()
    if first not in READ_STATEMENTS:
        raise QueryError(
            f"only read statements run here ({', '.join(s.upper() for s in READ_STATEMENTS)}), "
            f"got {first.upper()}: the jobs write the tables"
        )
    return query


def _code_only(query: str) -> str:
    """The query with quoted strings, quoted identifiers and comments blanked: what is left is SQL."""
    out, i, n = [], 0, len(query)
    while i < n:
        char = query[i]
        if char in "'\"`":
            end = query.find(char, i + 1)
            end = n if end < 0 else end + 1
        elif query.startswith("--", i):
            end = query.find("\n", i)
            end = n if end < 0 else end
        elif query.startswith("/*", i):
            end = query.find("*/", i + 2)
            end = n if end < 0 else end + 2
        else:
            out.append(char)
            i += 1
            continue
        out.append(" ")
        i = end
    return "".join(out)


def cell(value: Any, max_width: int) -> str:
    """One value as table text: NULL, byte counts for binary, compact JSON for nested values."""
    if value is None:
        text = "NULL"
    elif isinstance(value, (bytes, bytearray)):
        text = f"<{len(value)} bytes>"
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, float):
        text = f"{value:.6g}"
    elif isinstance(value, (dt.date, dt.datetime, Decimal)):
        text = str(value)
    elif isinstance(value, (list, tuple, Mapping)) or hasattr(value, "asDict"):
        text = json.dumps(_plain(value), ensure_ascii=False, default=str, separators=(",", ":"))
    else:
        text = str(value)
    text = " ".join(text.split())
    return text if len(text) <= max_width else text[: max(1, max_width - 1)] + "…"


def _plain(value: Any) -> Any:
    if hasattr(value, "asDict"):
        return {k: _plain(v) for k, v in value.asDict().items()}
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (bytes, bytearray)):
        return f"<{len(value)} bytes>"
    return value


def format_table(columns: Sequence[str], rows: Sequence[Sequence[Any]], max_width: int = 60) -> str:
    """A plain-text table; numbers are right-aligned."""
    texts = [[cell(v, max_width) for v in row] for row in rows]
    numeric = [
        all(
            isinstance(row[i], (int, float, Decimal)) and not isinstance(row[i], bool)
            for row in rows
            if row[i] is not None
        )
        for i in range(len(columns))
    ]
    widths = [max([len(c), *(len(t[i]) for t in texts)]) for i, c in enumerate(columns)]

    def line(values: Sequence[str]) -> str:
        cells = zip(values, widths, numeric, strict=True)
        return " | ".join(v.rjust(w) if right else v.ljust(w) for v, w, right in cells).rstrip()

    out = [line(list(columns)), "-+-".join("-" * w for w in widths)]
    out.extend(line(t) for t in texts)
    return "\n".join(out)


def register_tables(spark: SparkSession, cfg: DictConfig) -> list[str]:
    """Register every table of the lake in the catalog (path mode); returns the tables found."""
    from biomedica_spark.lake.delta_io import Lake

    lake = Lake(spark, cfg)
    existing = [table for table in schemas.TABLES if lake.exists(table)]
    if lake.mode == "path":
        # As every job does at start: a lake written by an older release also gains newer columns here.
        lake.ensure(existing)
    return existing


def run_query(spark: SparkSession, cfg: DictConfig, text: str) -> DataFrame:
    query = read_only_query(text)
    register_tables(spark, cfg)
    return spark.sql(query)


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="jobs/sql.py", description="Run one read query against the lake (tables under lake.root)."
    )
    parser.add_argument("overrides", nargs="*", help="key=value config overrides, e.g. lake.root=DIR")
    parser.add_argument("-q", "--query", help="the SQL query (default: read from stdin)")
    parser.add_argument("--rows", type=int, default=100, help="rows to print at most (default 100)")
    parser.add_argument("--width", type=int, default=60, help="characters per cell at most (default 60)")
    args = parser.parse_args(list(argv))
    text = args.query if args.query is not None else sys.stdin.read()
    try:
        query = read_only_query(text)
    except QueryError as error:
        print(f"sql: {error}", file=sys.stderr)
        return 2

    from pyspark.errors import AnalysisException

    from biomedica_spark.config import load_config
    from biomedica_spark.lake.delta_io import Lake
    from biomedica_spark.lake.session import get_spark

    cfg = load_config(args.overrides)
    spark = get_spark(cfg)
    found = register_tables(spark, cfg)
    if not found:
        print(
            f"sql: no tables under {Lake(spark, cfg).root} (run make demo, or pass LAKE=dir)", file=sys.stderr
        )
        return 2
    try:
        df = spark.sql(query)
        rows = df.limit(args.rows + 1).collect()
    except AnalysisException as error:
        print(f"sql: {type(error).__name__}: {str(error).strip()}", file=sys.stderr)
        return 2
    print(format_table(df.columns, [tuple(r) for r in rows[: args.rows]], args.width))
    more = " (more not shown: --rows N)" if len(rows) > args.rows else ""
    print(f"({min(len(rows), args.rows)} rows{more})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
