"""Report values from plain counts: the funnel with its quarantine reasons, dedup and concept charts."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

# (key, label) of every funnel stage, in pipeline order.
FUNNEL_STAGES: tuple[tuple[str, str], ...] = (
    ("archives", "Archives"),
    ("articles", "Articles"),
    ("figures", "Figures"),
    ("images", "Images (distinct contents)"),
    ("clusters", "Near-duplicate clusters"),
    ("canonical_pairs", "Canonical pairs"),
    ("exported_samples", "Exported samples"),
)

# The funnel stage where a `quarantine.stage` loses its items (biomedica_spark/quarantine.py Stage).
QUARANTINE_STAGE_OF: dict[str, str] = {
    "acquire": "archives",
    "archive": "archives",
    "member": "archives",
    "xml": "articles",
    "figure": "figures",
    "image": "images",
    "embed": "clusters",  # a cluster representative annotate could not embed
    "labels": "canonical_pairs",  # an expert-label row that could not be applied to pairs
    "export": "exported_samples",
}


@dataclass(frozen=True)
class Reason:
    stage: str  # `quarantine.stage` as recorded
    reason_code: str
    count: int


@dataclass(frozen=True)
class FunnelStage:
    key: str
    label: str
    count: int | None  # None: the table (or export) does not exist yet
    quarantined: tuple[Reason, ...]  # most frequent first

    @property
    def quarantined_total(self) -> int:
        return sum(r.count for r in self.quarantined)


@dataclass(frozen=True)
class Funnel:
    stages: tuple[FunnelStage, ...]
    unplaced: tuple[Reason, ...]  # quarantine stages this report does not know: shown, never dropped


def build_funnel(counts: Mapping[str, int | None], quarantine: Iterable[Reason]) -> Funnel:
    """The funnel stages with their counts (missing keys are None) and the quarantine reasons of each."""
    unknown = set(counts) - {key for key, _ in FUNNEL_STAGES}
    if unknown:
        raise ValueError(f"unknown funnel stages: {', '.join(sorted(unknown))}")
    placed: dict[str, list[Reason]] = {key: [] for key, _ in FUNNEL_STAGES}
    unplaced: list[Reason] = []
    for reason in quarantine:
        target = QUARANTINE_STAGE_OF.get(reason.stage)
        (placed[target] if target else unplaced).append(reason)
    return Funnel(
        stages=tuple(
            FunnelStage(key, label, counts.get(key), tuple(_by_count(placed[key])))
            for key, label in FUNNEL_STAGES
        ),
        unplaced=tuple(_by_count(unplaced)),
    )


def _by_count(reasons: Iterable[Reason]) -> list[Reason]:
    return sorted(reasons, key=lambda r: (-r.count, r.stage, r.reason_code))


# Cluster sizes are bucketed so a long tail of rare sizes stays one readable chart.
SIZE_BUCKETS: tuple[tuple[int, int | None], ...] = (
    (1, 1),
    (2, 2),
    (3, 3),
    (4, 4),
    (5, 9),
    (10, 19),
    (20, 49),
    (50, 99),
    (100, None),
)


def size_bucket_label(low: int, high: int | None) -> str:
    if high is None:
        return f"{low}+"
    return str(low) if low == high else f"{low}–{high}"


def cluster_size_histogram(clusters_by_size: Mapping[int, int]) -> list[tuple[str, int]]:
    """(bucket label, clusters) for every bucket up to the largest one used; sizes must be >= 1."""
    bad = [size for size in clusters_by_size if size < 1]
    if bad:
        raise ValueError(f"cluster sizes must be at least 1, got {sorted(bad)}")
    totals = [0] * len(SIZE_BUCKETS)
    for size, clusters in clusters_by_size.items():
        index = next(i for i, (low, high) in enumerate(SIZE_BUCKETS) if high is None or size <= high)
        totals[index] += int(clusters)
    used = max((i for i, total in enumerate(totals) if total), default=-1)
    return [(size_bucket_label(*SIZE_BUCKETS[i]), totals[i]) for i in range(used + 1)]


@dataclass(frozen=True)
class DuplicateCounts:
    figures_with_image: int
    distinct_figure_images: int  # distinct image_sha256 among figures with an image
    images: int
    clusters: int
    pairs: int
    canonical_pairs: int


def duplicate_bars(c: DuplicateCounts) -> list[tuple[str, int]]:
    """Exact duplicates (figures reusing identical bytes), near duplicates (images joined to another
    image's cluster) and duplicate pairs (non-canonical rows of `pairs`)."""
    return [
        ("exact: figures reusing identical bytes", c.figures_with_image - c.distinct_figure_images),
        ("near: images joined to another's cluster", c.images - c.clusters),
        ("duplicate (non-canonical) pairs", c.pairs - c.canonical_pairs),
    ]


def top_n(items: Iterable[tuple[str, int]], n: int, other: str = "(other)") -> list[tuple[str, int]]:
    """The n largest items (ties by name), the rest summed into one `other` bar."""
    if n < 1:
        raise ValueError(f"top_n needs n >= 1, got {n}")
    ordered = sorted(items, key=lambda item: (-item[1], item[0]))
    head, tail = ordered[:n], ordered[n:]
    if tail:
        head.append((other, sum(count for _, count in tail)))
    return head


def labelled(items: Sequence[tuple[str | None, int]], missing: str = "(unlabelled)") -> list[tuple[str, int]]:
    """Null or empty labels counted under `missing` (a pair without concepts is data too)."""
    merged: dict[str, int] = {}
    for name, count in items:
        key = name if name else missing
        merged[key] = merged.get(key, 0) + int(count)
    return list(merged.items())
