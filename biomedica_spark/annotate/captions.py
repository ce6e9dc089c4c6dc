"""Zero-shot caption suggestions: match captions to concept names and synonyms, vote per cluster.

Terms match whole words, longest first (a matched phrase is masked before shorter terms are tried).
Each caption spreads one vote over the global concepts it evidences (a local concept's term counts for
its global concept twice as much as a global synonym, being more specific); a cluster's suggestion is
the global concept with the largest mean vote, with that mean as its confidence, plus the local
concepts of that global concept named by at least `local_min_share` of the captions. Panel type is the
majority of captions that do or do not mark sub-panels ("(A)", "B)", "panels").
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from biomedica_spark.annotate.taxonomy import Taxonomy

SCORER_NAME = "caption-terms-v1"
LOCAL_WEIGHT = 2.0
GLOBAL_WEIGHT = 1.0
_PANEL_MARK = re.compile(
    r"\(\s*[a-h]\s*[),\u2013-]|(?:^|[\s.;])[a-h]\)|\bpanels?\b|\b[a-h]\s*[\u2013-]\s*[a-h]\b"
)


@dataclass(frozen=True)
class CaptionEvidence:
    global_votes: dict[str, float]  # global concept -> share of this caption's vote
    locals: frozenset[str]
    multi_panel: bool


@dataclass(frozen=True)
class Suggestion:
    panel_type: str | None
    global_concepts: tuple[str, ...]
    local_concepts: tuple[str, ...]
    confidence: float
    captions: int


class CaptionScorer:
    def __init__(self, taxonomy: Taxonomy, local_min_share: float = 0.2) -> None:
        self.taxonomy = taxonomy
        self.local_min_share = local_min_share
        self._terms = _compile_terms(taxonomy)

    def evidence(self, caption: str | None) -> CaptionEvidence:
        text = normalise_caption(caption)
        weights: dict[str, float] = {}
        found: set[str] = set()
        for pattern, concept, parent in self._terms:
            text, hits = pattern.subn(_mask, text)
            if hits:
                if parent is None:
                    weights[concept] = max(weights.get(concept, 0.0), GLOBAL_WEIGHT)
                else:
                    found.add(concept)
                    weights[parent] = max(weights.get(parent, 0.0), LOCAL_WEIGHT)
        total = sum(weights.values())
        votes = {name: w / total for name, w in weights.items()} if total else {}
        return CaptionEvidence(votes, frozenset(found), bool(_PANEL_MARK.search(normalise_caption(caption))))

    def suggest(self, captions: Sequence[str | None]) -> Suggestion:
        """The cluster's suggested label from its captions (an empty suggestion without evidence)."""
        evidence = [self.evidence(c) for c in captions]
        n = len(evidence)
        if n == 0:
            return Suggestion(None, (), (), 0.0, 0)
        scores: dict[str, float] = {}
        for item in evidence:
            for name, vote in item.global_votes.items():
                scores[name] = scores.get(name, 0.0) + vote
        multi = sum(item.multi_panel for item in evidence)
        panel = "multiple" if multi * 2 > n else "single"
        if not scores:
            return Suggestion(panel, (), (), 0.0, n)
        order = {c.name: i for i, c in enumerate(self.taxonomy.globals)}
        best = max(scores, key=lambda name: (scores[name], -order[name]))
        local_counts: Counter[str] = Counter(name for item in evidence for name in item.locals)
        locals_ = tuple(
            name
            for name in self.taxonomy.local_names(best)
            if local_counts[name] and local_counts[name] >= self.local_min_share * n
        )
        return Suggestion(panel, (best,), locals_, round(scores[best] / n, 4), n)


def normalise_caption(caption: str | None) -> str:
    """Case-folded, with every run of characters other than letters, digits and hyphens as one space."""
    return " ".join(re.sub(r"[^\w\-()]+", " ", (caption or "").casefold()).split())


def suggest_for_clusters(
    scorer: CaptionScorer, captions_by_cluster: Iterable[tuple[int, Sequence[str | None]]]
) -> list[tuple[int, Suggestion]]:
    return [(cluster, scorer.suggest(captions)) for cluster, captions in captions_by_cluster]


def _mask(match: re.Match[str]) -> str:
    return "#" * len(match.group(0))


def _compile_terms(taxonomy: Taxonomy) -> list[tuple[re.Pattern[str], str, str | None]]:
    """Term patterns, longest first: a matched phrase is masked, so "box plot" is not also "plot"."""
    terms: list[tuple[str, str, str | None]] = [
        (normalise_caption(term), concept.name, concept.parent)
        for concept in (*taxonomy.globals, *taxonomy.locals)
        for term in concept.terms
    ]
    terms.sort(key=lambda item: (-len(item[0]), item[2] is None))  # equal lengths: the local term first
    return [(re.compile(rf"(?<![\w-]){re.escape(t)}(?![\w-])"), name, parent) for t, name, parent in terms]
