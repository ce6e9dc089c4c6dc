"""Enumerating what a source offers, on the driver: the legacy file list, a listing of `metadata/`, a
daily S3 inventory, or a list of PMCIDs, as rows of LISTED_DDL.

The whole cloud subset is about 8 million version keys. Rows are spilled to Parquet files as they arrive
(`ListedSpill`, ROWS_PER_FILE rows a file), so the driver holds one file's worth, never the listing, and
Spark reads the folder.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from biomedica_spark.acquire import cloud as cloud_meta
from biomedica_spark.acquire.filelist import FileListEntry, parse_file_list
from biomedica_spark.acquire.retry import FetchError
from biomedica_spark.lake.arrow import flat_ddl_arrow_schema
from biomedica_spark.quarantine import QuarantineItem, Reason, Stage

if TYPE_CHECKING:
    from biomedica_spark.acquire.fetch import Fetcher
    from biomedica_spark.acquire.settings import AcquireSettings

LISTED_DDL = """
pmcid string, version int, remote_key string, last_modified timestamp, etag string, license_code string,
license_subset string, is_open_access boolean, is_manuscript boolean, is_retracted boolean
"""
ROWS_PER_FILE = 100_000  # about 40 MB of rows held on the driver between two spill files
LONG_AGO = dt.datetime.min.replace(tzinfo=dt.timezone.utc)

ListedRow = tuple[Any, ...]


class ListedSpill:
    """Rows of LISTED_DDL written as Parquet files under `uri` (fsspec: local, object stores, Volumes)."""

    def __init__(self, uri: str, rows_per_file: int = ROWS_PER_FILE) -> None:
        import fsspec

        self.uri = uri
        self.fs, self.folder = fsspec.core.url_to_fs(uri)
        self.schema = flat_ddl_arrow_schema(LISTED_DDL)
        self.rows_per_file = max(1, rows_per_file)
        self.count = 0
        self.files = 0
        self._rows: list[ListedRow] = []
        self.fs.makedirs(self.folder, exist_ok=True)

    def add(self, row: ListedRow) -> None:
        self._rows.append(row)
        self.count += 1
        if len(self._rows) >= self.rows_per_file:
            self._flush()

    def close(self) -> int:
        """Write what is held; an empty listing still gets one (empty) file, so the folder reads as an
        empty table. Returns how many rows were spilled."""
        if self._rows or not self.files:
            self._flush()
        return self.count

    def _flush(self) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        columns = list(zip(*self._rows, strict=True)) if self._rows else [()] * len(self.schema)
        arrays = [pa.array(list(c), type=f.type) for c, f in zip(columns, self.schema, strict=True)]
        with self.fs.open(f"{self.folder}/part-{self.files:05d}.parquet", "wb") as out:
            pq.write_table(pa.Table.from_arrays(arrays, schema=self.schema), out)
        self.files += 1
        self._rows = []


def enumerate_source(
    fetcher: Fetcher, settings: AcquireSettings, run_id: str, spill: ListedSpill
) -> tuple[bool, list[dict[str, Any]]]:
    """Spill the listed rows; returns whether they are the complete subset (so a missing article has left
    it) and quarantine rows for entries that could not be used. Without a whole enumeration nothing can
    be decided (a partial one would read as removals), so a failed one stops the job with the reason."""
    try:
        if settings.source == "legacy":
            return _enumerate_legacy(fetcher, settings, run_id, spill)
        return _enumerate_cloud(fetcher, settings, spill), []
    except FetchError as exc:
        hint = (
            ": the endpoint must answer S3 ListObjectsV2 requests (`?list-type=2`), as the bucket's HTTPS "
            "endpoint and the S3 API do; for a mirror that does not, use acquire.cloud.enumerate=pmcids "
            "or acquire.cloud.enumerate=inventory"
            if exc.kind == "bad_listing"
            else f" after {getattr(exc, 'attempts', 1)} attempt(s)"
        )
        raise SystemExit(f"acquire: could not enumerate {settings.source} ({exc}){hint}") from exc


def requested_pmcid(text: str) -> str:
    """A PMCID of `acquire.cloud.pmcids`, normalised; anything else stops the job with a clear message."""
    digits = text.strip().upper().removeprefix("PMC")
    if not digits.isdigit():
        raise SystemExit(f"acquire.cloud.pmcids: not a PMCID: {text!r}")
    return f"PMC{int(digits)}"


def _enumerate_legacy(
    fetcher: Fetcher, settings: AcquireSettings, run_id: str, spill: ListedSpill
) -> tuple[bool, list[dict[str, Any]]]:
    fetched, _ = fetcher.get(settings.file_list)
    entries, bad_rows = parse_file_list(fetched.data)
    now = dt.datetime.now(dt.timezone.utc)
    source = f"{settings.base_url}/{settings.file_list}"
    bad = [
        QuarantineItem(
            Stage.ACQUIRE, Reason.FILE_LIST_ROW, f"{b.reason}: {b.text[:500]}", item=f"line {b.line}"
        ).as_row(source, run_id, now)
        for b in bad_rows
    ]
    newest: dict[str, FileListEntry] = {}
    for e in entries:  # one package per article: the most recently updated row wins
        held = newest.get(e.pmcid)
        if held is None or (e.last_updated or LONG_AGO) > (held.last_updated or LONG_AGO):
            newest[e.pmcid] = e
    for e in newest.values():
        row = (e.pmcid, None, e.package_path, e.last_updated, None, e.license_code, e.license_subset)
        spill.add((*row, True, False, False))  # listed, so open access; no manuscript or retraction flag
    return True, bad


def _enumerate_cloud(fetcher: Fetcher, settings: AcquireSettings, spill: ListedSpill) -> bool:
    cloud = settings.cloud
    metadata_prefix = f"{cloud.prefix}metadata/"
    if cloud.enumerate == "pmcids":
        for pmcid in cloud.pmcids:
            _spill_versions(fetcher.list(f"{metadata_prefix}{requested_pmcid(pmcid)}."), spill)
        return False
    if cloud.enumerate == "inventory":
        if not cloud.inventory_manifest:
            raise SystemExit("acquire.cloud.enumerate=inventory needs acquire.cloud.inventory_manifest")
        manifest, _ = fetcher.get(cloud.inventory_manifest)
        keys, columns = cloud_meta.parse_inventory_manifest(manifest.data)
        for key in keys:  # one data file at a time
            objects = cloud_meta.parse_inventory_csv(fetcher.get(key)[0].data, columns)
            _spill_versions((o for o in objects if o.key.startswith(metadata_prefix)), spill)
        return True
    _spill_versions(fetcher.list(f"{metadata_prefix}{cloud.list_prefix}"), spill)
    return True


def _spill_versions(objects: Iterable[cloud_meta.ListedObject], spill: ListedSpill) -> None:
    """The version JSON keys among `objects` (other keys are not versions: skipped)."""
    for obj in objects:
        parsed = cloud_meta.version_of_key(obj.key)
        if parsed is not None:
            # licence and flags come from the JSON, read later and only for new or changed versions
            spill.add((parsed[0], parsed[1], obj.key, obj.last_modified, obj.etag, *(None,) * 5))
