"""Applying `removals` (written by acquire) to the extracted tables: run by `extract` after its batches.

An article recorded as removed (left the OA subset, retracted, or its licence no longer chosen) and not
lifted since is deleted from `figures` and `articles` with Delta deletes, so time travel still shows what
was there. `dedup` then drops its pairs (it syncs `pairs` to `figures`) and re-elects canonical pairs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from biomedica_spark.lake.delta_io import Lake


def apply_removals(lake: Lake) -> int:
    """Delete the figures and articles of actively removed PMCIDs; returns the articles deleted. No match
    means no commit (a re-run on unchanged input changes nothing)."""
    if not lake.exists("removals"):
        return 0
    active = lake.read("removals").where("lifted_at IS NULL").select("pmcid").distinct()
    doomed = lake.read("articles").join(active, "pmcid", "left_semi").select("article_key").cache()
    count = doomed.count()
    if count:
        # Figures first: a crash in between leaves articles whose figures are gone, which the re-run
        # deletes; the other order would leave orphaned figures nobody deletes.
        lake.delete_matching("figures", doomed, "t.article_key = s.article_key")
        lake.delete_matching("articles", doomed, "t.article_key = s.article_key")
    doomed.unpersist()
    return count
