"""The `acquire` config section: defaults, overrides, and clear errors for bad values."""

from __future__ import annotations

import datetime as dt

import pytest

from biomedica_spark.acquire.settings import make_transport, settings_from_config
from biomedica_spark.acquire.transport import HttpTransport, LocalTransport
from biomedica_spark.config import load_config


def test_defaults_point_at_the_real_bucket_over_https() -> None:
    settings = settings_from_config(load_config())
    assert settings.source == "pmc_cloud" and settings.cloud.bucket == "pmc-oa-opendata"
    assert settings.filters.subsets == {"commercial", "noncommercial", "other"}
    assert not settings.include_pdf and not settings.include_supplements
    transport = make_transport(settings)
    assert isinstance(transport, HttpTransport)
    assert transport.base_url == "https://pmc-oa-opendata.s3.amazonaws.com"


def test_command_line_overrides() -> None:
    settings = settings_from_config(
        load_config(["acquire.licenses=[commercial]", "acquire.since=2026-01-01", "acquire.limit=1000"])
    )
    assert settings.filters.subsets == {"commercial"}
    assert settings.since == dt.date(2026, 1, 1) and settings.limit == 1000


def test_legacy_base_url_is_a_url_or_a_folder(tmp_path: object) -> None:
    http = settings_from_config(
        load_config(["acquire.source=legacy", "acquire.base_url=https://m.example/pmc"])
    )
    assert isinstance(make_transport(http), HttpTransport)
    local = settings_from_config(load_config(["acquire.source=legacy", f"acquire.base_url={tmp_path}"]))
    assert isinstance(make_transport(local), LocalTransport)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["acquire.source=ftp"], "acquire.source"),
        (["acquire.source=legacy"], "acquire.base_url"),
        (["acquire.licenses=[cc-by]"], "acquire.licenses"),
        (["acquire.cloud.enumerate=crawl"], "acquire.cloud.enumerate"),
        (["acquire.cloud.protocol=ftp"], "acquire.cloud.protocol"),
    ],
)
def test_bad_values_stop_with_a_clear_message(overrides: list[str], message: str) -> None:
    with pytest.raises(SystemExit, match=message.replace(".", r"\.")):
        settings_from_config(load_config(overrides))
