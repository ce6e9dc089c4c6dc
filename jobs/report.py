"""Report: one self-contained HTML page about a lake: the funnel with quarantine reasons, dedup and concept
charts, exported samples and lineage (table versions per run).

python jobs/report.py lake.root=DIR [export.out=DIR] [report.out=FILE]
spark-submit <line from `make spark-submit-line`> jobs/report.py lake.root=DIR
"""

import sys
from pathlib import Path

try:
    from biomedica_spark.cli import run_job
except ImportError:  # running from a checkout without `pip install`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from biomedica_spark.cli import run_job

if __name__ == "__main__":
    run_job("report", sys.argv[1:])
