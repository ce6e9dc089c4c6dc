"""Path tables are registered in the session catalog where the lake is now, even after it moved or was
deleted, so SQL on `database.table` always reads the lake the last job wrote."""

from __future__ import annotations

import shutil

import pytest

from biomedica_spark.config import load_config
from biomedica_spark.lake.delta_io import Lake

pytestmark = [pytest.mark.spark, pytest.mark.delta]

DATABASE = "registration_test"  # its own database: other tests' tables stay where they are


def _registered(spark, table: str) -> str:  # type: ignore[no-untyped-def]
    return str(spark.sql(f"DESCRIBE DETAIL {DATABASE}.{table}").first()["location"])


def test_the_catalog_follows_the_lake_last_ensured(spark, tmp_path) -> None:  # type: ignore[no-untyped-def]
    first, second = (
        Lake(spark, load_config([f"lake.root={tmp_path / name}", f"lake.database={DATABASE}"]))
        for name in ("first", "second")
    )
    first.ensure(["runs"])
    assert _registered(spark, "runs").endswith("/first/runs")

    second.ensure(["runs"])  # another lake, same database: the entry moves to it
    assert _registered(spark, "runs").endswith("/second/runs")

    second.ensure(["runs"])  # already where it belongs: left alone
    assert _registered(spark, "runs").endswith("/second/runs")

    shutil.rmtree(tmp_path / "second")  # a deleted lake is created again and registered there
    second.ensure(["runs"])
    assert _registered(spark, "runs").endswith("/second/runs")
    assert spark.table(f"{DATABASE}.runs").count() == 0
    assert spark.table(f"{DATABASE}.runs").columns == second.read("runs").columns

    # The entry points at a deleted lake while another lake is ensured: Delta cannot DROP a table
    # whose folder is gone, so the bare catalog entry is dropped and re-pointed.
    third = Lake(spark, load_config([f"lake.root={tmp_path / 'third'}", f"lake.database={DATABASE}"]))
    shutil.rmtree(tmp_path / "second")
    third.ensure(["runs"])
    assert _registered(spark, "runs").endswith("/third/runs")
    assert spark.table(f"{DATABASE}.runs").count() == 0
