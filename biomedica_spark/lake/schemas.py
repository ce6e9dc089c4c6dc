"""Table schemas: the contract every job and every reader (SQL, delta-rs, notebooks) relies on.

Spark DDL strings are the single source; the Arrow schemas the extract UDF emits are derived from them.
"""

from __future__ import annotations

INLINE_REF = "struct<paragraph:string,section_title:string,xref_text:string>"

SOURCES = """
source_path string, size bigint, mtime timestamp, content_sha256 string, archive_kind string,
articles_found int, figures_found int, images_found int, quarantined int, status string,
run_id string, processed_at timestamp
"""

ARTICLES = """
article_key string, key_source string, pmcid string, pmid string, doi string, version int,
title string, abstract string, journal string, journal_nlm_ta string, publisher string,
pub_date date, pub_year int, article_type string, subjects array<string>, keywords array<string>,
authors array<string>, license_code string, license_url string, license_subset string,
is_retracted boolean, is_manuscript boolean, language string, body_text string,
reference_pmids array<string>, reference_dois array<string>, figure_count int,
source_path string, member_path string, source_mtime timestamp, has_media boolean,
json_last_modified timestamp, xml_sha256 string, run_id string
"""

FIGURES = f"""
article_key string, ordinal int, pmcid string, figure_id string, label string, caption string,
caption_title string, graphic_href string, graphic_index int, resolved_member string,
image_sha256 string, inline_refs array<{INLINE_REF}>, placement string, fig_group_id string,
kind string, fig_type string, sub_article_id string, permissions string, has_own_permissions boolean,
source_path string, run_id string
"""

IMAGES = """
image_sha256 string, image_bytes binary, byte_size bigint, format string, width int, height int,
mode string, bit_depth int, exif_orientation int, phash64 bigint, phash256 binary, info_score double,
is_near_blank boolean, trimmed_width int, trimmed_height int, first_source_path string,
first_member_path string, run_id string
"""

QUARANTINE = """
source_path string, member_path string, pmcid string, item string, stage string, reason_code string,
detail string, run_id string, recorded_at timestamp
"""

RUNS = """
run_id string, job string, status string, started_at timestamp, ended_at timestamp, config_json string,
counts map<string,bigint>, table_versions_read map<string,bigint>, table_versions_written map<string,bigint>,
message string
"""

TABLES: dict[str, str] = {
    "sources": SOURCES,
    "articles": ARTICLES,
    "figures": FIGURES,
    "images": IMAGES,
    "quarantine": QUARANTINE,
    "runs": RUNS,
}

# Keys used by MERGE (null-safe). Quarantine rows are unique per item and reason within a source.
KEYS: dict[str, tuple[str, ...]] = {
    "sources": ("source_path",),
    "articles": ("article_key",),
    "figures": ("article_key", "ordinal"),
    "images": ("image_sha256",),
    "quarantine": ("source_path", "member_path", "item", "stage", "reason_code"),
}


def ddl(table: str) -> str:
    return " ".join(TABLES[table].split())


# --- dedup (DESIGN "Dedup"; jobs/dedup.py) ------------------------------------------------------------
# One row per `images` row. cluster_id is the sha256 of the image that founded the cluster; a merged
# cluster keeps the smallest of its ids (`cluster_merges` keeps the others). join_reason: perceptual
# (verified near-duplicate: distance / distance256 / nearest_sha256 describe its closest verified
# neighbour), exact (no near-duplicate, but its bytes are used by several figures), alone, near_blank
# (gated: exact bytes only) or unhashed (no perceptual hash: exact bytes only).
IMAGE_CLUSTERS = """
image_sha256 string, cluster_id string, cluster_size bigint, representative_sha256 string,
join_reason string, distance int, distance256 int, nearest_sha256 string, is_line_art boolean,
figure_count bigint, article_count bigint, run_id string
"""

# The gold table: one row per figure with an image. One canonical pair per group_key (image cluster,
# plus the normalised caption's sha256 unless dedup.pair_key=image); the others point at it.
PAIRS = f"""
pair_key string, article_key string, ordinal int, pmcid string, figure_id string, label string,
image_sha256 string, cluster_id string, caption string, caption_key string, inline_refs array<{INLINE_REF}>,
license_subset string, license_code string, is_retracted boolean, pub_date date, kind string,
has_own_permissions boolean, group_key string, group_size bigint, is_canonical boolean,
duplicate_of string, run_id string
"""

# A new image bridged two clusters: from_cluster_id's images now carry into_cluster_id (sizes before).
CLUSTER_MERGES = """
from_cluster_id string, into_cluster_id string, from_size bigint, into_size bigint, bridge_sha256 string,
run_id string, merged_at timestamp
"""

TABLES.update({"image_clusters": IMAGE_CLUSTERS, "pairs": PAIRS, "cluster_merges": CLUSTER_MERGES})
KEYS.update(
    {"image_clusters": ("image_sha256",), "pairs": ("pair_key",), "cluster_merges": ("from_cluster_id",)}
)
