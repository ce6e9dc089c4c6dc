"""Run-scoped staging folders under `${lake.root}/_staging/<job>/<run id>`, and the clean-up of run folders
that crashed runs left (here and in other run-scoped temporary folders, e.g. acquire's in the landing zone).

A job parses its input once, writes the rows here as Parquet, MERGEs them into the Delta tables and
removes the folder (DESIGN "Delta I/O rules"). Folders are handled through fsspec (local, s3, dbfs), never
through JVM-internal APIs, so this works on Spark Connect too.
"""

from __future__ import annotations

import datetime as dt
import shutil

from biomedica_spark.lake.delta_io import Lake

STALE_AFTER = dt.timedelta(days=1)  # older run folders belong to crashed runs, not to a concurrent one


def stage_path(lake: Lake, job: str, run_id: str) -> str:
    return f"{lake.root}/_staging/{job}/{run_id}"


def clear_stale(lake: Lake, job: str, older_than: dt.timedelta = STALE_AFTER) -> int:
    """Staging left by crashed runs of `job`; returns how many run folders were removed."""
    return remove_stale(f"{lake.root}/_staging/{job}", older_than)


def remove_stale(uri: str, older_than: dt.timedelta = STALE_AFTER) -> int:
    """Delete the sub-folders of `uri` (one per run) last modified before the grace period: what crashed
    runs left. The grace keeps a concurrent run's folders intact. Returns how many were removed."""
    import fsspec

    fs, root = fsspec.core.url_to_fs(uri)
    if not fs.exists(root):
        return 0
    cutoff = dt.datetime.now(dt.timezone.utc) - older_than
    removed = 0
    for entry in fs.ls(root, detail=True):
        modified = fs.modified(entry["name"])
        if modified.tzinfo is None:
            modified = modified.replace(tzinfo=dt.timezone.utc)
        if modified < cutoff:
            fs.rm(entry["name"], recursive=True)
            removed += 1
    return removed


def remove(path: str) -> None:
    import fsspec

    fs, local = fsspec.core.url_to_fs(path)
    if fs.exists(local):
        if fs.protocol in ("file", ("file", "local")):
            shutil.rmtree(local, ignore_errors=True)
        else:
            fs.rm(local, recursive=True)
