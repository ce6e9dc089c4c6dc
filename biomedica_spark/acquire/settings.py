"""The `acquire` config section as a plain, picklable dataclass (Spark tasks receive it), and the
transport it names."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from biomedica_spark.acquire.retry import Backoff
from biomedica_spark.acquire.selection import Filters

if TYPE_CHECKING:
    from omegaconf import DictConfig

    from biomedica_spark.acquire.transport import Transport

SOURCES = ("pmc_cloud", "legacy")
ENUMERATIONS = ("listing", "inventory", "pmcids")


@dataclass(frozen=True)
class CloudSettings:
    protocol: str
    endpoint: str | None
    bucket: str
    region: str
    prefix: str
    enumerate: str
    list_prefix: str
    inventory_manifest: str | None
    pmcids: tuple[str, ...]


@dataclass(frozen=True)
class AcquireSettings:
    source: str
    base_url: str | None
    file_list: str
    filters: Filters
    since: dt.date | None
    limit: int | None
    include_pdf: bool
    include_supplements: bool
    cloud: CloudSettings
    tasks: int
    concurrency: int
    requests_per_second: float
    burst: float
    backoff: Backoff
    timeout_s: float
    batch_items: int
    log_interval_s: float


def settings_from_config(cfg: DictConfig) -> AcquireSettings:
    a = cfg.acquire
    source = str(a.source)
    if source not in SOURCES:
        raise SystemExit(f"acquire.source must be one of {SOURCES}, got {source!r}")
    if source == "legacy" and not a.base_url:
        raise SystemExit("acquire.source=legacy needs acquire.base_url (an http(s):// URL or a folder)")
    c = a.cloud
    if str(c.enumerate) not in ENUMERATIONS:
        raise SystemExit(f"acquire.cloud.enumerate must be one of {ENUMERATIONS}, got {c.enumerate!r}")
    if str(c.protocol) not in ("https", "s3"):
        raise SystemExit(f"acquire.cloud.protocol must be https or s3, got {c.protocol!r}")
    try:
        filters = Filters.of(list(a.licenses), bool(a.include_manuscripts), bool(a.drop_retracted))
    except ValueError as exc:
        raise SystemExit(str(exc)) from exc
    since = dt.date.fromisoformat(str(a.since)) if a.since else None
    return AcquireSettings(
        source=source,
        base_url=str(a.base_url) if a.base_url else None,
        file_list=str(a.file_list),
        filters=filters,
        since=since,
        limit=int(a.limit) if a.limit is not None else None,
        include_pdf=bool(a.include_pdf),
        include_supplements=bool(a.include_supplements),
        cloud=CloudSettings(
            protocol=str(c.protocol),
            endpoint=str(c.endpoint) if c.endpoint else None,
            bucket=str(c.bucket),
            region=str(c.region),
            prefix=str(c.prefix or ""),
            enumerate=str(c.enumerate),
            list_prefix=str(c.list_prefix or "").upper(),
            inventory_manifest=str(c.inventory_manifest) if c.inventory_manifest else None,
            pmcids=tuple(str(p) for p in c.pmcids),
        ),
        tasks=max(1, int(a.tasks)),
        concurrency=max(1, int(a.concurrency)),
        requests_per_second=float(a.requests_per_second),
        burst=float(a.burst),
        backoff=Backoff(int(a.retries), float(a.backoff_base_s), float(a.backoff_max_s)),
        timeout_s=float(a.timeout_s),
        batch_items=max(1, int(a.batch_items)),
        log_interval_s=float(a.log_interval_s),
    )


def make_transport(settings: AcquireSettings) -> Transport:
    from biomedica_spark.acquire.transport import HttpTransport, LocalTransport, S3Transport

    if settings.source == "legacy":
        base = settings.base_url or ""
        if base.startswith(("http://", "https://")):
            return HttpTransport(base, settings.timeout_s)
        return LocalTransport(base[len("file://") :] if base.startswith("file://") else base)
    cloud = settings.cloud
    if cloud.protocol == "s3":
        return S3Transport(
            cloud.bucket, cloud.endpoint, cloud.region, settings.timeout_s, settings.concurrency
        )
    if not cloud.endpoint:
        raise SystemExit("acquire.cloud.protocol=https needs acquire.cloud.endpoint (the bucket's URL)")
    return HttpTransport(cloud.endpoint, settings.timeout_s)
