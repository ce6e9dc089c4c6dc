"""The zero-shot caption scorer: term matching, per-cluster votes, confidence, panel type."""

from __future__ import annotations

import pytest

from biomedica_spark.annotate.captions import CaptionScorer, normalise_caption
from biomedica_spark.annotate.taxonomy import load_taxonomy


@pytest.fixture(scope="module")
def scorer() -> CaptionScorer:
    return CaptionScorer(load_taxonomy())


def test_local_terms_vote_for_their_global_concept(scorer: CaptionScorer) -> None:
    evidence = scorer.evidence("Western blot of lysates; GAPDH loading control.")
    assert evidence.locals == {"immunoblot"}
    assert evidence.global_votes == {"Immuno Assays": 1.0}


def test_words_match_whole_not_inside_others(scorer: CaptionScorer) -> None:
    assert scorer.evidence("The octopus was observed.").global_votes == {}  # "oct" is not "octopus"
    assert scorer.evidence("An OCT scan of the retina").locals == {"optical coherence tomography"}


def test_cluster_suggestion_takes_the_strongest_concept_with_its_share(scorer: CaptionScorer) -> None:
    captions = [
        "Kaplan-Meier survival curves by stage.",
        "Box plot of expression.",
        "Survival of treated mice.",
        "Results of experiment 2.",
    ]
    suggestion = scorer.suggest(captions)
    assert suggestion.global_concepts == ("Plots and Charts",)
    assert suggestion.confidence == pytest.approx(0.75)
    assert suggestion.local_concepts == ("box plot", "survival curve")
    assert suggestion.captions == 4


def test_mixed_captions_split_their_vote(scorer: CaptionScorer) -> None:
    suggestion = scorer.suggest(["Confocal images of cells and a bar chart of counts."])
    # confocal microscopy (local, weight 2) vs bar plot (local, weight 2): a tie goes to taxonomy order.
    assert suggestion.global_concepts == ("Plots and Charts",)
    assert suggestion.confidence == pytest.approx(0.5)


def test_panel_type_is_the_majority_of_panel_marks(scorer: CaptionScorer) -> None:
    assert scorer.suggest(
        ["(A) Control. (B) Treated.", "Panels show the time course.", "One image"]
    ).panel_type == ("multiple")
    assert scorer.suggest(["A single confocal image.", "(a) and (b)", "Scan of a leg"]).panel_type == "single"


def test_no_captions_or_no_evidence_means_no_concept(scorer: CaptionScorer) -> None:
    assert scorer.suggest([]).global_concepts == ()
    empty = scorer.suggest([None, "", "See text."])
    assert (empty.global_concepts, empty.confidence, empty.panel_type) == ((), 0.0, "single")


def test_normalise_caption() -> None:
    assert normalise_caption("  Fig.\u00a02: (A) X-Ray;  CT ") == "fig 2 (a) x-ray ct"
