"""The BIOMEDICA concept taxonomy as data (`conf/taxonomy/*.yaml`): loading, validation, label checks.

A label is a panel type (+ optional subtype), global concepts and local concepts; every local concept
belongs to one global concept, and a label naming a local concept must name its global concept too.
Names are matched case-insensitively on input and always stored in the taxonomy's spelling.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from omegaconf import OmegaConf


class TaxonomyError(ValueError):
    """The taxonomy file itself is malformed."""


@dataclass(frozen=True)
class Concept:
    name: str
    synonyms: tuple[str, ...] = ()
    parent: str | None = None  # the global concept of a local concept

    @property
    def terms(self) -> tuple[str, ...]:
        """Caption phrases that evidence this concept: its name first, then its synonyms."""
        return (self.name, *self.synonyms)


@dataclass(frozen=True)
class Taxonomy:
    globals: tuple[Concept, ...]
    locals: tuple[Concept, ...]
    panel_types: Mapping[str, tuple[str, ...]]  # panel type -> its subtypes
    # Global and local names are looked up apart: "Microscopy" is both a global and a local concept.
    _globals_by_key: dict[str, Concept] = field(init=False, repr=False, compare=False)
    _locals_by_key: dict[str, Concept] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_globals_by_key", {c.name.casefold(): c for c in self.globals})
        object.__setattr__(self, "_locals_by_key", {c.name.casefold(): c for c in self.locals})

    def global_concept(self, name: str) -> Concept | None:
        return self._globals_by_key.get(name.strip().casefold())

    def local_concept(self, name: str) -> Concept | None:
        return self._locals_by_key.get(name.strip().casefold())

    def local_names(self, parent: str) -> list[str]:
        return [c.name for c in self.locals if c.parent == parent]


@dataclass(frozen=True)
class Label:
    """A validated cluster label, in the taxonomy's spelling."""

    panel_type: str | None
    panel_subtype: str | None
    global_concepts: tuple[str, ...]
    local_concepts: tuple[str, ...]


def default_taxonomy_path(name: str = "biomedica") -> Path:
    from biomedica_spark.config import conf_dir

    return conf_dir() / "taxonomy" / f"{name}.yaml"


def load_taxonomy(path: str | Path | None = None) -> Taxonomy:
    """Read and validate a taxonomy file (default: the BIOMEDICA one); a malformed file raises
    TaxonomyError naming what is wrong."""
    source = Path(path) if path is not None else default_taxonomy_path()
    try:
        data = OmegaConf.to_container(OmegaConf.load(source), resolve=False)
    except Exception as exc:  # a missing file, YAML syntax, OmegaConf's own errors: all one message
        raise TaxonomyError(f"cannot read taxonomy {source}: {exc}") from exc
    return parse_taxonomy(data, str(source))


def parse_taxonomy(data: Any, source: str = "<taxonomy>") -> Taxonomy:
    if not isinstance(data, dict):
        raise TaxonomyError(f"{source}: expected a mapping with panel_types and global_concepts")
    panel_types = _panel_types(data.get("panel_types"), source)
    entries = data.get("global_concepts")
    if not isinstance(entries, list) or not entries:
        raise TaxonomyError(f"{source}: global_concepts must be a non-empty list")
    globals_: list[Concept] = []
    locals_: list[Concept] = []
    for entry in entries:
        if not isinstance(entry, dict):
            raise TaxonomyError(f"{source}: a global concept must be a mapping, got {entry!r}")
        name = _name(entry.get("name"), source, "global concept")
        globals_.append(Concept(name, _synonyms(entry.get("synonyms"), source, name)))
        children = entry.get("local_concepts")
        if not isinstance(children, list) or not children:
            raise TaxonomyError(f"{source}: global concept {name!r} needs a non-empty local_concepts list")
        for child in children:
            if isinstance(child, dict):
                local = _name(child.get("name"), source, f"local concept of {name!r}")
                synonyms = _synonyms(child.get("synonyms"), source, local)
            else:
                local, synonyms = _name(child, source, f"local concept of {name!r}"), ()
            locals_.append(Concept(local, synonyms, parent=name))
    _require_unique([c.name for c in globals_], source, "global concept")
    _require_unique([c.name for c in locals_], source, "local concept")
    return Taxonomy(tuple(globals_), tuple(locals_), panel_types)


def validate_label(
    taxonomy: Taxonomy,
    panel_type: str | None,
    panel_subtype: str | None,
    global_concepts: Iterable[str],
    local_concepts: Iterable[str],
) -> tuple[Label | None, list[str]]:
    """(the label in canonical spelling, []) or (None, reasons). Unknown names, a subtype outside its
    panel type, and a local concept whose global concept is missing are reasons."""
    problems: list[str] = []
    panel = _blank_to_none(panel_type)
    subtype = _blank_to_none(panel_subtype)
    canonical_panel: str | None = None
    canonical_subtype: str | None = None
    if panel is not None:
        canonical_panel = _match(panel, taxonomy.panel_types)
        if canonical_panel is None:
            problems.append(f"unknown panel type {panel!r} (one of {sorted(taxonomy.panel_types)})")
    if subtype is not None:
        allowed = taxonomy.panel_types.get(canonical_panel or "", ())
        canonical_subtype = _match(subtype, allowed)
        if canonical_subtype is None:
            problems.append(f"panel subtype {subtype!r} is not one of {list(allowed)} (panel type {panel!r})")
    globals_out = [c.name for c in _known(global_concepts, taxonomy.global_concept, "global", problems)]
    locals_out: list[str] = []
    for concept in _known(local_concepts, taxonomy.local_concept, "local", problems):
        if concept.parent in globals_out:
            locals_out.append(concept.name)
        else:
            problems.append(f"local concept {concept.name!r} needs its global concept {concept.parent!r}")
    if problems:
        return None, problems
    return Label(canonical_panel, canonical_subtype, tuple(globals_out), tuple(locals_out)), []


def split_names(cell: str | None) -> list[str]:
    """A CSV cell listing concepts, separated by `;` or `|` (concept names contain commas)."""
    if not cell:
        return []
    return [part.strip() for part in cell.replace("|", ";").split(";") if part.strip()]


def _panel_types(value: Any, source: str) -> dict[str, tuple[str, ...]]:
    if not isinstance(value, dict) or not value:
        raise TaxonomyError(f"{source}: panel_types must map each panel type to its subtypes")
    out: dict[str, tuple[str, ...]] = {}
    for panel, subtypes in value.items():
        if not isinstance(subtypes, list) or not all(isinstance(s, str) and s.strip() for s in subtypes):
            raise TaxonomyError(f"{source}: subtypes of panel type {panel!r} must be a list of names")
        out[str(panel)] = tuple(s.strip() for s in subtypes)
    return out


def _name(value: Any, source: str, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise TaxonomyError(f"{source}: {what} has no name ({value!r})")
    return value.strip()


def _synonyms(value: Any, source: str, name: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(s, str) and s.strip() for s in value):
        raise TaxonomyError(f"{source}: synonyms of {name!r} must be a list of phrases")
    return tuple(s.strip() for s in value)


def _require_unique(names: Sequence[str], source: str, what: str) -> None:
    seen: set[str] = set()
    for name in names:
        key = name.casefold()
        if key in seen:
            raise TaxonomyError(f"{source}: {what} {name!r} appears twice")
        seen.add(key)


def _known(
    names: Iterable[str], lookup: Callable[[str], Concept | None], kind: str, problems: list[str]
) -> list[Concept]:
    """The concepts `names` spell (any case or synonym), each once, in order; unknown names are problems."""
    found: list[Concept] = []
    for name in _clean(names):
        concept = lookup(name)
        if concept is None:
            problems.append(f"unknown {kind} concept {name!r}")
        elif concept not in found:
            found.append(concept)
    return found


def _match(value: str, allowed: Iterable[str]) -> str | None:
    key = value.strip().casefold()
    return next((a for a in allowed if a.casefold() == key), None)


def _blank_to_none(value: str | None) -> str | None:
    return value.strip() if value is not None and value.strip() else None


def _clean(names: Iterable[str]) -> list[str]:
    return [n.strip() for n in names if n is not None and n.strip()]
