"""Which copy of an article is current, as Spark SQL expressions built by plain functions.

DESIGN.md: among versions, the published (not manuscript) one, then the latest JSON LastModified, then the
higher version number; among sources of one version, the one with media, then the newer archive mtime,
then the smaller path. Every term is null-free so comparisons never go unknown.
"""

from __future__ import annotations

# (expression over a row alias, descending?)
PREFERENCE: tuple[tuple[str, bool], ...] = (
    ("CASE WHEN {r}is_manuscript THEN 0 ELSE 1 END", True),
    ("coalesce(unix_micros({r}json_last_modified), -1)", True),
    ("coalesce({r}version, -1)", True),
    ("CASE WHEN {r}has_media THEN 1 ELSE 0 END", True),
    ("coalesce(unix_micros({r}source_mtime), -1)", True),
    ("coalesce({r}source_path, '')", False),
)


def _term(expr: str, alias: str) -> str:
    return expr.format(r=f"{alias}." if alias else "")


def preference_order() -> list[str]:
    """ORDER BY terms that put the current copy first (for a window over one article's candidates)."""
    return [f"{_term(expr, '')} {'DESC' if desc else 'ASC'}" for expr, desc in PREFERENCE]


def preferred_over(a: str, b: str) -> str:
    """SQL that is true when row alias `a` should replace row alias `b` (strictly preferred)."""
    clause = "false"
    for expr, desc in reversed(PREFERENCE):
        left, right = _term(expr, a), _term(expr, b)
        wins = f"{left} > {right}" if desc else f"{left} < {right}"
        clause = f"({wins} OR ({left} = {right} AND {clause}))"
    return clause
