"""`make sql`'s pure parts: which statements run, and how results print."""

from __future__ import annotations

import datetime as dt

import pytest

from biomedica_spark.sql import QueryError, cell, format_table, read_only_query


def test_read_statements_pass_with_trailing_semicolons_and_blanks_removed() -> None:
    assert read_only_query("  SELECT 1 ;; \n") == "SELECT 1"
    assert read_only_query("with x AS (SELECT 1) SELECT * FROM x") == "with x AS (SELECT 1) SELECT * FROM x"
    assert read_only_query("DESCRIBE HISTORY biomedica.pairs") == "DESCRIBE HISTORY biomedica.pairs"
    assert read_only_query("SELECT 'a;b' AS `c;d`") == "SELECT 'a;b' AS `c;d`"  # ';' inside quotes
    commented = "-- pairs; per subset\n/* DELETE; */ SELECT 1 -- trailing; note"
    assert read_only_query(commented) == commented


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "empty"),
        (" ; ", "empty"),
        ("DELETE FROM biomedica.pairs", "only read statements"),
        ("DROP TABLE biomedica.pairs", "got DROP"),
        ("SELECT 1; DROP TABLE biomedica.pairs", "one statement"),
        ("-- only a comment", "empty"),
        ("-- looks harmless\nDELETE FROM biomedica.pairs", "got DELETE"),
    ],
)
def test_writes_scripts_and_empty_queries_are_refused(query: str, message: str) -> None:
    with pytest.raises(QueryError, match=message):
        read_only_query(query)


def test_cells_show_nulls_bytes_nested_values_and_truncate() -> None:
    assert cell(None, 10) == "NULL"
    assert cell(b"\x00" * 2048, 20) == "<2048 bytes>"
    assert cell(["a", "b"], 20) == '["a","b"]'
    assert cell({"pairs": 3}, 20) == '{"pairs":3}'
    assert cell(True, 10) == "true"
    assert cell(dt.date(2026, 1, 2), 20) == "2026-01-02"
    assert cell("one\ntwo   three", 40) == "one two three"
    assert cell("x" * 30, 10) == "x" * 9 + "…"


def test_table_aligns_numbers_right_and_text_left() -> None:
    text = format_table(["subset", "pairs"], [("commercial", 120), ("other", 7), ("noncommercial", None)])
    lines = text.splitlines()
    assert lines[0] == "subset        | pairs"
    assert lines[1] == "--------------+------"
    assert lines[2] == "commercial    |   120"
    assert lines[3] == "other         |     7"
    assert lines[4] == "noncommercial |  NULL"
    assert format_table(["a"], []) == "a\n-"
