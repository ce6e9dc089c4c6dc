"""A deterministic generator of PMC-like OA packages with ground truth, for demos, tests and benchmarks.

`generate_corpus(out_dir, profile=..., archives=..., seed=...)` writes a landing zone and returns (and
writes beside it) a `CorpusTruth`; `VARIANTS` lists every variant name the truth can carry.
"""

from biomedica_spark.samples.generator import generate_corpus
from biomedica_spark.samples.plan import VARIANTS
from biomedica_spark.samples.truth import CorpusTruth, truth_path

__all__ = ["VARIANTS", "CorpusTruth", "generate_corpus", "truth_path"]
