"""The `export` config section as a validated, immutable value."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from biomedica_spark.export.sample_json import FORMATS, format_columns

if TYPE_CHECKING:
    from omegaconf import DictConfig

SUBSETS = ("commercial", "noncommercial", "other")

# Settings that choose where or which subsets are written, not what a subset's shards hold: a changed
# value never makes an existing subset folder stale.
_PLACEMENT_KEYS = ("out", "subsets")


class ExportConfigError(ValueError):
    """A setting that cannot work; raised before any Spark job starts."""


@dataclass(frozen=True)
class ExportSettings:
    out: str
    subsets: tuple[str, ...]
    format: str
    seed: int
    samples_per_shard: int
    max_shard_bytes: int
    max_side: int | None
    canonical_only: bool
    min_image_side: int
    caption_min_chars: int
    caption_max_chars: int | None
    exclude_article_types: tuple[str, ...]
    exclude_retracted: bool
    exclude_third_party: bool
    concepts_include: tuple[str, ...]
    concepts_exclude: tuple[str, ...]
    max_samples: int | None
    biomedica_whole_article: bool = False  # export.biomedica.whole_article

    def __post_init__(self) -> None:
        unknown = [s for s in self.subsets if s not in SUBSETS]
        if unknown or not self.subsets:
            raise ExportConfigError(
                f"export.subsets must be a non-empty list of {SUBSETS}, got {self.subsets}"
            )
        if self.format not in FORMATS:
            raise ExportConfigError(f"export.format must be one of {sorted(FORMATS)}, got {self.format!r}")
        if self.samples_per_shard < 1:
            raise ExportConfigError(f"export.samples_per_shard must be >= 1, got {self.samples_per_shard}")
        if self.max_shard_bytes < 1:
            raise ExportConfigError(f"export.max_shard_bytes must be >= 1, got {self.max_shard_bytes}")
        if self.max_side is not None and self.max_side < 1:
            raise ExportConfigError(f"export.max_side must be >= 1 or null, got {self.max_side}")
        if self.caption_max_chars is not None and self.caption_max_chars < self.caption_min_chars:
            raise ExportConfigError(
                f"export.caption_max_chars ({self.caption_max_chars}) is below "
                f"export.caption_min_chars ({self.caption_min_chars})"
            )
        if self.max_samples is not None and self.max_samples < 0:
            raise ExportConfigError(f"export.max_samples must be >= 0 or null, got {self.max_samples}")
        if self.biomedica_whole_article and self.format != "biomedica":
            raise ExportConfigError(
                "export.biomedica.whole_article=true applies to export.format=biomedica only, "
                f"got export.format={self.format!r}"
            )

    @property
    def filters_concepts(self) -> bool:
        return bool(self.concepts_include or self.concepts_exclude)

    @property
    def json_columns(self) -> tuple[str, ...]:
        """The columns this format's sample JSON reads beyond the native metadata columns."""
        return format_columns(self.format, self.biomedica_whole_article)

    def content_config(self) -> dict[str, Any]:
        """Every setting that decides a subset's shard bytes: what the manifest records and compares.

        `format` is always there; `biomedica.whole_article` only for the biomedica format (a native
        export's record stays what it was before that setting existed, so its folders still resume)."""
        values = asdict(self)
        for key in _PLACEMENT_KEYS:
            values.pop(key)
        whole_article = values.pop("biomedica_whole_article")
        if self.format == "biomedica":
            values["biomedica.whole_article"] = whole_article
        return {k: list(v) if isinstance(v, tuple) else v for k, v in values.items()}


def settings_from_config(cfg: DictConfig) -> ExportSettings:
    e = cfg.export

    def optional_int(value: Any) -> int | None:
        return None if value is None else int(value)

    def labels(values: Any) -> tuple[str, ...]:
        return tuple(sorted({str(v).strip().lower() for v in values or ()}))

    return ExportSettings(
        out=str(e.out),
        subsets=tuple(str(s) for s in e.subsets),
        format=str(e.format),
        seed=int(e.seed),
        samples_per_shard=int(e.samples_per_shard),
        max_shard_bytes=int(e.max_shard_bytes),
        max_side=optional_int(e.max_side),
        canonical_only=bool(e.canonical_only),
        min_image_side=int(e.min_image_side),
        caption_min_chars=int(e.caption_min_chars),
        caption_max_chars=optional_int(e.caption_max_chars),
        exclude_article_types=tuple(sorted(str(t) for t in e.exclude_article_types or ())),
        exclude_retracted=bool(e.exclude_retracted),
        exclude_third_party=bool(e.exclude_third_party),
        concepts_include=labels(e.concepts.include),
        concepts_exclude=labels(e.concepts.exclude),
        max_samples=optional_int(e.max_samples),
        biomedica_whole_article=bool(e.biomedica.whole_article),
    )
