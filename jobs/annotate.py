"""Annotate: `image_clusters`, `images`, `pairs` under `lake.root` -> concept labels on every pair.

python jobs/annotate.py annotate.step=embed|cluster|sheets|propagate|all lake.root=DIR
spark-submit <line from `make spark-submit-line`> jobs/annotate.py lake.root=DIR
"""

import sys
from pathlib import Path

try:
    from biomedica_spark.cli import run_job
except ImportError:  # running from a checkout without `pip install`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from biomedica_spark.cli import run_job

if __name__ == "__main__":
    run_job("annotate", sys.argv[1:])
