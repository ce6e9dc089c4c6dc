"""Run-scoped staging folders under `${lake.root}/_staging/<job>/<run id>`.

A job parses its input once, writes the rows here as Parquet, MERGEs them into the Delta tables and
removes the folder (DESIGN "Delta I/O rules"). Folders are handled through fsspec (local, s3, dbfs), never
through JVM-internal APIs, so this works on Spark Connect too.
"""

from __future__ import annotations

import datetime as dt
import shutil

from biomedica_spark.lake.delta_io import Lake


def stage_path(lake: Lake, job: str, run_id: str) -> str:
    return f"{lake.root}/_staging/{job}/{run_id}"


def clear_stale(lake: Lake, job: str, older_than: dt.timedelta = dt.timedelta(days=1)) -> None:
    """Staging left by crashed runs; a day's grace keeps a concurrent run's staging intact."""
    import fsspec

    fs, local = fsspec.core.url_to_fs(f"{lake.root}/_staging/{job}")
    if not fs.exists(local):
        return
    cutoff = dt.datetime.now(dt.timezone.utc) - older_than
    for entry in fs.ls(local, detail=True):
        modified = fs.modified(entry["name"])
        if modified.tzinfo is None:
            modified = modified.replace(tzinfo=dt.timezone.utc)
        if modified < cutoff:
            fs.rm(entry["name"], recursive=True)


def remove(path: str) -> None:
    import fsspec

    fs, local = fsspec.core.url_to_fs(path)
    if fs.exists(local):
        if fs.protocol in ("file", ("file", "local")):
            shutil.rmtree(local, ignore_errors=True)
        else:
            fs.rm(local, recursive=True)
