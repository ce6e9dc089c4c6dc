"""Dedup: `images`, `figures`, `articles` under `lake.root` -> `image_clusters`, `pairs`, `cluster_merges`.

python jobs/dedup.py lake.root=DIR
spark-submit <line from `make spark-submit-line`> jobs/dedup.py lake.root=DIR
"""

import sys
from pathlib import Path

try:
    from biomedica_spark.cli import run_job
except ImportError:  # running from a checkout without `pip install`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from biomedica_spark.cli import run_job

if __name__ == "__main__":
    run_job("dedup", sys.argv[1:])
