"""The enrich run's summary on stdout (the same counts are in its `runs` row)."""

from __future__ import annotations

from biomedica_spark.enrich.job import EnrichResult

LINES = (
    ("files_listed", "PubMed files listed"),
    ("files_ignored", "other files ignored (e.g. .md5)"),
    ("files_to_parse", "files parsed this run (new or changed)"),
    ("pubmed_rows_staged", "records and deletions read"),
    ("quarantine_rows_staged", "quarantined (file or record)"),
    ("articles", "articles in the lake"),
    ("articles_without_pmid", "  without a PMID (kept as they are)"),
    ("articles_pmid_not_in_pubmed", "  PMID not in the files read (kept as they are)"),
    ("articles_enrichment_changed", "articles whose PubMed columns changed"),
)


def format_report(result: EnrichResult) -> str:
    width = max(len(label) for _, label in LINES)
    lines = [f"enrich run {result.run_id}"]
    lines += [f"  {label:<{width}}  {result.counts.get(key, 0):>10,}" for key, label in LINES]
    return "\n".join(lines)
