"""SQL: one read query against the lake, every table registered under `lake.database` (`biomedica`).

python jobs/sql.py lake.root=DIR --query "SELECT license_subset, count(*) FROM biomedica.pairs GROUP BY 1"
make sql Q="SELECT ..." [LAKE=DIR]
"""

import sys
from pathlib import Path

try:
    from biomedica_spark.sql import main
except ImportError:  # running from a checkout without `pip install`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from biomedica_spark.sql import main

if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
