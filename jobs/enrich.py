"""Enrich: PubMed/MEDLINE files under `pubmed.root` -> `pubmed`, and its columns on `articles` by PMID.

python jobs/enrich.py pubmed.root=DIR lake.root=DIR
spark-submit <line from `make spark-submit-line`> jobs/enrich.py pubmed.root=DIR lake.root=DIR
"""

import sys
from pathlib import Path

try:
    from biomedica_spark.cli import run_job
except ImportError:  # running from a checkout without `pip install`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from biomedica_spark.cli import run_job

if __name__ == "__main__":
    run_job("enrich", sys.argv[1:])
