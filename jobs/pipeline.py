"""Pipeline: acquire (when asked), extract, enrich (when pubmed.root holds files), dedup, annotate, export.

Each step is skipped when there is nothing to do (biomedica_spark/pipeline.py says how it decides).
python jobs/pipeline.py landing.root=DIR lake.root=DIR export.out=DIR [pipeline.steps=[extract,dedup]]
spark-submit <line from `make spark-submit-line`> jobs/pipeline.py landing.root=DIR lake.root=DIR
"""

import sys
from pathlib import Path

try:
    from biomedica_spark.cli import run_job
except ImportError:  # running from a checkout without `pip install`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from biomedica_spark.cli import run_job

if __name__ == "__main__":
    run_job("pipeline", sys.argv[1:])
