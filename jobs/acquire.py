"""Acquire: fetch PMC-OA article versions (PMC Cloud Service or a legacy mirror) into `landing.root`.

python jobs/acquire.py acquire.source=pmc_cloud landing.root=DIR lake.root=DIR [acquire.licenses=[commercial]]
python jobs/acquire.py acquire.source=legacy acquire.base_url=URL_OR_FOLDER landing.root=DIR lake.root=DIR
Run it on classic clusters: Databricks serverless UDFs have no internet access.
"""

import sys
from pathlib import Path

try:
    from biomedica_spark.cli import run_job
except ImportError:  # running from a checkout without `pip install`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from biomedica_spark.cli import run_job

if __name__ == "__main__":
    run_job("acquire", sys.argv[1:])
