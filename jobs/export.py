"""Export: `pairs`, `articles`, `images` under `lake.root` -> WebDataset shards under `export.out`.

python jobs/export.py lake.root=DIR export.out=DIR [export.subsets=[commercial]] [export.seed=0]
spark-submit <line from `make spark-submit-line`> jobs/export.py lake.root=DIR export.out=DIR
"""

import sys
from pathlib import Path

try:
    from biomedica_spark.cli import run_job
except ImportError:  # running from a checkout without `pip install`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from biomedica_spark.cli import run_job

if __name__ == "__main__":
    run_job("export", sys.argv[1:])
