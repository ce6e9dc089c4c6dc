"""The `runs` table: one row per job run with its config, counts and the Delta versions it read and wrote."""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from biomedica_spark.config import to_container

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from omegaconf import DictConfig

    from biomedica_spark.lake.delta_io import Lake


def new_run_id() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:8]


class RunRecorder:
    def __init__(self, lake: Lake, job: str, cfg: DictConfig) -> None:
        self.lake = lake
        self.job = job
        self.run_id = new_run_id()
        self.started_at = dt.datetime.now(dt.timezone.utc)
        self.config_json = json.dumps(to_container(cfg), sort_keys=True, default=str)
        self.counts: dict[str, int] = {}
        self.versions_read: dict[str, int] = {}

    def count(self, name: str, value: int) -> None:
        self.counts[name] = int(value)

    def add_count(self, name: str, value: int) -> None:
        self.counts[name] = self.counts.get(name, 0) + int(value)

    @contextmanager
    def timed(self, phase: str) -> Iterator[None]:
        """Accumulate a phase's wall time as `ms.<phase>` in the run's counts, and log it."""
        start = time.perf_counter()
        try:
            yield
        finally:
            self.add_phase(phase, time.perf_counter() - start)

    def add_phase(self, phase: str, seconds: float) -> None:
        """Record time spent in a phase timed by the caller (say, before this recorder existed)."""
        self.add_count(f"ms.{phase}", round(seconds * 1000))
        log.info("%s %s: %.1f s", self.job, phase, seconds)

    def read_versions(self, tables: Iterable[str]) -> None:
        self.versions_read.update(self.lake.versions(tables))

    def finish(self, written_tables: Iterable[str], status: str = "ok", message: str | None = None) -> None:
        """Append the run row: always the last commit of a job, after every data table and `sources`."""
        written = self.lake.versions(written_tables)
        row = (
            self.run_id,
            self.job,
            status,
            self.started_at,
            dt.datetime.now(dt.timezone.utc),
            self.config_json,
            self.counts,
            self.versions_read,
            written,
            message,
        )
        from biomedica_spark.lake.schemas import ddl

        df = self.lake.spark.createDataFrame([row], ddl("runs"))
        self.lake.append("runs", df)
