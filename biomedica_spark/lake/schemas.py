"""Table schemas: the contract every job and every reader (SQL, delta-rs, notebooks) relies on.

Spark DDL strings are the single source; the Arrow schemas the extract UDF emits are derived from them.
"""

from __future__ import annotations

INLINE_REF = "struct<paragraph:string,section_title:string,xref_text:string>"
# PubMed/MEDLINE values (jobs/enrich.py)
MESH_HEADING = (
    "struct<descriptor:string,descriptor_ui:string,major_topic:boolean,"
    "qualifiers:array<struct<name:string,ui:string,major_topic:boolean>>>"
)
CHEMICAL = "struct<name:string,ui:string,registry_number:string>"
GRANT = "struct<grant_id:string,acronym:string,agency:string,country:string>"

# The columns `articles` gains from `pubmed` (the enrich job owns them; extract never overwrites them).
ARTICLE_ENRICHMENT = f"""
mesh_terms array<{MESH_HEADING}>, publication_types array<string>, chemicals array<{CHEMICAL}>,
grants array<{GRANT}>, pubmed_abstract string, journal_iso string, pubmed_record_order bigint
"""

SOURCES = """
source_path string, size bigint, mtime timestamp, content_sha256 string, archive_kind string,
articles_found int, figures_found int, images_found int, quarantined int, status string,
run_id string, processed_at timestamp
"""

ARTICLES = f"""
article_key string, key_source string, pmcid string, pmid string, doi string, version int,
title string, abstract string, journal string, journal_nlm_ta string, publisher string,
pub_date date, pub_year int, article_type string, subjects array<string>, keywords array<string>,
authors array<string>, license_code string, license_url string, license_subset string,
is_retracted boolean, is_manuscript boolean, language string, body_text string,
reference_pmids array<string>, reference_dois array<string>, figure_count int,
source_path string, member_path string, source_mtime timestamp, has_media boolean,
json_last_modified timestamp, xml_sha256 string, run_id string,
{ARTICLE_ENRICHMENT}"""

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

# The columns `pairs` gains from annotate's `propagate` step (annotate owns them; dedup carries them
# over): the k-means cluster of the pair's image-cluster representative, that cluster's labels (arrays
# empty when unknown), where they came from (expert, caption or null) and the model version.
PAIR_CONCEPTS = """
cluster_label_id int, panel_type string, global_concepts array<string>, local_concepts array<string>,
concept_source string, concept_model_version string
"""

# The gold table: one row per figure with an image. One canonical pair per group_key (image cluster,
# plus the normalised caption's sha256 unless dedup.pair_key=image); the others point at it.
PAIRS = f"""
pair_key string, article_key string, ordinal int, pmcid string, figure_id string, label string,
image_sha256 string, cluster_id string, caption string, caption_key string, inline_refs array<{INLINE_REF}>,
license_subset string, license_code string, is_retracted boolean, pub_date date, kind string,
has_own_permissions boolean, group_key string, group_size bigint, is_canonical boolean,
duplicate_of string, run_id string,
{PAIR_CONCEPTS}"""

# A new image bridged two clusters: from_cluster_id's images now carry into_cluster_id (sizes before).
CLUSTER_MERGES = """
from_cluster_id string, into_cluster_id string, from_size bigint, into_size bigint, bridge_sha256 string,
run_id string, merged_at timestamp
"""

TABLES.update({"image_clusters": IMAGE_CLUSTERS, "pairs": PAIRS, "cluster_merges": CLUSTER_MERGES})
KEYS.update(
    {"image_clusters": ("image_sha256",), "pairs": ("pair_key",), "cluster_merges": ("from_cluster_id",)}
)


# --- enrich (jobs/enrich.py): PubMed/MEDLINE records joined onto `articles` by PMID ---------------------
# One row per PMID: the newest record of the files read so far (record_order: file year, file number,
# position), or a tombstone (is_deleted) when a later DeleteCitation withdrew it, so an older file read
# afterwards cannot bring the record back.
PUBMED = f"""
pmid string, record_order bigint, is_deleted boolean, pmid_version int, status string, pmcid string,
doi string, title string, abstract string, journal_title string, journal_iso string, medline_ta string,
mesh_terms array<{MESH_HEADING}>, publication_types array<string>, chemicals array<{CHEMICAL}>,
grants array<{GRANT}>, keywords array<string>, pub_year int, date_completed date, date_revised date,
pubmed_date date, source_file string, run_id string
"""

# One row per PubMed file read: an unchanged (path, size, mtime) is never parsed again.
PUBMED_FILES = """
path string, size bigint, mtime timestamp, records bigint, deletions bigint, quarantined bigint,
run_id string, processed_at timestamp
"""

TABLES.update({"pubmed": PUBMED, "pubmed_files": PUBMED_FILES})
KEYS.update({"pubmed": ("pmid",), "pubmed_files": ("path",)})


def column_names(table_ddl: str) -> tuple[str, ...]:
    """Top-level column names of a DDL string (nested struct fields are skipped)."""
    names, depth, start = [], 0, 0
    for i, char in enumerate(table_ddl + ","):
        if char == "<":
            depth += 1
        elif char == ">":
            depth -= 1
        elif char == "," and depth == 0:
            column = table_ddl[start:i].strip()
            if column:
                names.append(column.split()[0])
            start = i + 1
    return tuple(names)


ARTICLE_ENRICHMENT_COLUMNS = column_names(ARTICLE_ENRICHMENT)

# --- acquire (jobs/acquire.py) ------------------------------------------------------------------------
# One row per article version seen (cloud) or per package (legacy, version null): what the server said
# (remote key, LastModified / Last Updated, ETag, licence, flags), what this project did with it
# (status fetched | failed | skipped, with reason / error) and where it landed. A re-run compares against
# it to fetch only what is new, changed or failed before.
FETCH_LEDGER = """
source string, pmcid string, version int, remote_key string, last_modified timestamp, etag string,
license_code string, license_subset string, is_open_access boolean, is_manuscript boolean,
is_retracted boolean, status string, reason string, attempts int, error_kind string, error string,
md5 string, bytes bigint, files int, landing_path string, fetched_at timestamp, checked_at timestamp,
run_id string
"""

# Articles that left the OA subset, were retracted, or whose licence no longer matches: extract deletes
# them from `articles` and `figures` while lifted_at is null (dedup then drops their pairs).
REMOVALS = """
pmcid string, source string, reason string, detail string, detected_at timestamp, run_id string,
lifted_at timestamp, lifted_run_id string
"""

TABLES.update({"fetch_ledger": FETCH_LEDGER, "removals": REMOVALS})
KEYS.update({"fetch_ledger": ("source", "pmcid", "version"), "removals": ("pmcid",)})


# --- annotate (jobs/annotate.py): embeddings, k-means concept clusters, expert and caption labels --------
# One vector per near-duplicate-cluster representative and embedder version.
IMAGE_EMBEDDINGS = """
image_sha256 string, embedder string, embedder_version string, embedding array<float>, dim int,
run_id string, embedded_at timestamp
"""

# One row per fitted PCA + k-means model; the newest by fitted_at is the current one.
ANNOTATE_MODELS = """
model_version string, embedder string, embedder_version string, k int, pca_components int, seed bigint,
model_path string, images_fitted bigint, run_id string, fitted_at timestamp
"""

# A representative's k-means cluster under one model version (old versions stay queryable).
CONCEPT_CLUSTERS = """
image_sha256 string, model_version string, cluster_label_id int, run_id string, assigned_at timestamp
"""

# Expert labels per (model version, cluster), through SQL, the notebook or a re-imported CSV.
CLUSTER_LABELS = """
model_version string, cluster_label_id int, panel_type string, panel_subtype string,
global_concepts array<string>, local_concepts array<string>, annotator string, labelled_at timestamp,
note string
"""

# The zero-shot caption scorer's suggestion per (model version, cluster), with its confidence.
CAPTION_SUGGESTIONS = """
model_version string, cluster_label_id int, panel_type string, global_concepts array<string>,
local_concepts array<string>, confidence double, captions_scored int, scorer string, run_id string
"""

TABLES.update(
    {
        "image_embeddings": IMAGE_EMBEDDINGS,
        "annotate_models": ANNOTATE_MODELS,
        "concept_clusters": CONCEPT_CLUSTERS,
        "cluster_labels": CLUSTER_LABELS,
        "caption_suggestions": CAPTION_SUGGESTIONS,
    }
)
KEYS.update(
    {
        "image_embeddings": ("image_sha256", "embedder", "embedder_version"),
        "annotate_models": ("model_version",),
        "concept_clusters": ("image_sha256", "model_version"),
        "cluster_labels": ("model_version", "cluster_label_id"),
        "caption_suggestions": ("model_version", "cluster_label_id"),
    }
)
PAIR_CONCEPT_COLUMNS = column_names(PAIR_CONCEPTS)
