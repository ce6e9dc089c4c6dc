"""Maintain: OPTIMIZE, checkpoint and retention properties, VACUUM over every table under `lake.root`.

python jobs/maintain.py lake.root=DIR [maintain.dry_run=true] [maintain.retention_hours=720]
spark-submit <line from `make spark-submit-line`> jobs/maintain.py lake.root=DIR
"""

import sys
from pathlib import Path

try:
    from biomedica_spark.cli import run_job
except ImportError:  # running from a checkout without `pip install`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from biomedica_spark.cli import run_job

if __name__ == "__main__":
    run_job("maintain", sys.argv[1:])
