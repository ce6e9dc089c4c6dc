"""Biomedical-sounding text with the inline markup real captions carry (italic genes, bold panels)."""

from __future__ import annotations

import random

from biomedica_spark.samples.xmltree import Element, Node, el

GENES = (
    "Pax7",
    "Myod1",
    "Tp53",
    "Brca1",
    "Sox2",
    "Nanog",
    "Gapdh",
    "Il6",
    "Tnf",
    "Egfr",
    "Kras",
    "Pten",
    "Notch1",
    "Wnt3a",
    "Shh",
    "Foxp3",
    "Cd4",
    "Cd8a",
    "Vegfa",
    "Hif1a",
    "Mtor",
    "Akt1",
    "Gata4",
    "Nkx2-5",
)
ORGANISMS = (
    "Escherichia coli",
    "Mus musculus",
    "Drosophila melanogaster",
    "Danio rerio",
    "Arabidopsis thaliana",
    "Saccharomyces cerevisiae",
    "Caenorhabditis elegans",
    "Homo sapiens",
)
TISSUES = (
    "skeletal muscle",
    "liver",
    "hippocampus",
    "cortex",
    "kidney",
    "lung",
    "heart",
    "retina",
    "intestinal crypts",
    "bone marrow",
    "spleen",
    "pancreatic islets",
    "skin",
    "tumour tissue",
)
CELLS = (
    "satellite cells",
    "fibroblasts",
    "macrophages",
    "T cells",
    "neurons",
    "hepatocytes",
    "organoids",
    "endothelial cells",
    "stem cells",
    "cardiomyocytes",
    "astrocytes",
    "B cells",
)
ASSAYS = (
    "immunostaining",
    "qPCR",
    "western blot",
    "flow cytometry",
    "RNA-seq",
    "ChIP-seq",
    "confocal microscopy",
    "electron microscopy",
    "ELISA",
    "histology",
    "CT imaging",
    "MRI",
)
TREATMENTS = (
    "cardiotoxin injury",
    "hypoxia",
    "dexamethasone",
    "high-fat diet",
    "LPS stimulation",
    "knockdown",
    "irradiation",
    "cisplatin",
    "exercise training",
    "TGF-β treatment",
)
OUTCOMES = (
    "increased expression",
    "reduced proliferation",
    "impaired differentiation",
    "enhanced migration",
    "altered morphology",
    "loss of viability",
    "a shift in the redox state",
    "delayed regeneration",
    "higher signal intensity",
    "lower variance across replicates",
)
STATS = (
    "Data are mean ± SEM",
    "Error bars show SD",
    "Scale bar, 50 µm",
    "Scale bars, 20 µm",
    "Boxes show the interquartile range",
    "n = 3 biological replicates",
)
SUBJECTS = (
    "Cell Biology",
    "Neuroscience",
    "Immunology",
    "Genetics",
    "Oncology",
    "Microbiology",
    "Developmental Biology",
    "Epidemiology",
    "Cardiology",
    "Bioinformatics",
)
SURNAMES = (
    "Garcia",
    "Chen",
    "Müller",
    "Okafor",
    "Nakamura",
    "Silva",
    "Kowalski",
    "Haddad",
    "Novak",
    "Singh",
    "O'Brien",
    "Johansson",
    "Rossi",
    "Kim",
    "Dubois",
    "Ivanova",
    "Mensah",
    "Larsen",
)
GIVEN = (
    "Ana",
    "Wei",
    "Jonas",
    "Chiamaka",
    "Haruto",
    "Lucas",
    "Marta",
    "Omar",
    "Petra",
    "Priya",
    "Sean",
    "Ingrid",
    "Giulia",
    "Min-jun",
    "Camille",
    "Olga",
    "Kwame",
    "Freja",
)
SPANISH_WORDS = ("Expresión", "análisis", "células", "músculo", "regeneración", "señal", "región")


def pick(rng: random.Random, items: tuple[str, ...]) -> str:
    return items[rng.randrange(len(items))]


def initial_upper(phrase: str) -> str:
    """Upper-case the first letter only: str.capitalize() would turn 'MRI' into 'Mri'."""
    return phrase[:1].upper() + phrase[1:]


def sentence(rng: random.Random, token: str) -> str:
    """A plain sentence; `token` makes it unique inside its article (used as paragraph_contains)."""
    return (
        f"In experiment {token}, {pick(rng, ASSAYS)} of {pick(rng, CELLS)} from {pick(rng, TISSUES)} "
        f"showed {pick(rng, OUTCOMES)} after {pick(rng, TREATMENTS)}."
    )


def filler(rng: random.Random, count: int) -> list[Node]:
    """Sentences with inline markup: italic gene names, a p-value whose words must stay separated."""
    nodes: list[Node] = []
    for _ in range(count):
        gene = pick(rng, GENES)
        nodes += [
            " Expression of ",
            el("italic", gene),
            f" in {pick(rng, TISSUES)} was compared by {pick(rng, ASSAYS)} (",
            el("italic", "p"),
            " < 0.05).",
        ]
    return nodes


def title_nodes(rng: random.Random) -> list[Node]:
    gene, organism = pick(rng, GENES), pick(rng, ORGANISMS)
    shape = rng.randrange(3)
    if shape == 0:
        return [
            el("italic", gene),
            f" controls {pick(rng, OUTCOMES)} in {pick(rng, CELLS)} of ",
            el("italic", organism),
        ]
    if shape == 1:
        return [
            f"{initial_upper(pick(rng, ASSAYS))} reveals {pick(rng, OUTCOMES)} of {pick(rng, TISSUES)} "
            f"after {pick(rng, TREATMENTS)}"
        ]
    return [f"Loss of {gene} causes {pick(rng, OUTCOMES)} in ", el("italic", organism), " models"]


def caption_title(rng: random.Random) -> list[Node]:
    gene = pick(rng, GENES)
    return [f"{initial_upper(pick(rng, ASSAYS))} of ", el("italic", gene), f" in {pick(rng, CELLS)}."]


def caption_paragraph(rng: random.Random, panels: str, with_reference: bool) -> list[Node]:
    """'(A) ... (B) ...' with bold panel letters, superscripts, a p-value and sometimes a bibr xref."""
    nodes: list[Node] = []
    for letter in panels:
        gene = pick(rng, GENES)
        nodes += [
            "(",
            el("bold", letter),
            f") {initial_upper(pick(rng, ASSAYS))} of ",
            el("italic", gene, el("sup", "GFP/+")),
            f" {pick(rng, CELLS)} after {pick(rng, TREATMENTS)}. ",
        ]
    nodes += [
        "Groups were compared with a two-sided ",
        el("italic", "t"),
        " test (",
        el("italic", "p"),
        " < 0.05); CO",
        el("sub", "2"),
        " was kept at 5%.",
    ]
    if with_reference:
        nodes += [" Adapted from ", el("xref", "Smith et al., 2010", ref_type="bibr", rid="B1"), "."]
    return nodes


def panel_list(rng: random.Random, panels: str) -> Element:
    """A caption paragraph holding a list of panel items (paragraphs inside the paragraph)."""
    items = [
        el("list-item", el("p", f"({letter}) {initial_upper(pick(rng, ASSAYS))} of {pick(rng, CELLS)}."))
        for letter in panels
    ]
    listing = el("list", *items, list_type="simple")
    listing.layout = True
    return el("p", "Panels:", listing)


def stats_paragraph(rng: random.Random) -> list[Node]:
    return [
        f"{pick(rng, STATS)}; R&D cohort {rng.randrange(2, 99)} (",
        el("italic", "n"),
        f" = {rng.randrange(3, 40)}).",
    ]


def person(rng: random.Random) -> tuple[str, str]:
    return pick(rng, SURNAMES), pick(rng, GIVEN)
