"""Acquire: fetch PMC-OA article versions into the landing zone, incrementally.

One module per concern: `filelist` (legacy `oa_file_list.csv`) and `cloud` (PMC Cloud JSON, keys,
listings, inventory) parse what the servers say; `selection` decides what to fetch, skip or remove;
`retry` holds backoff and the rate limiter; `transport` talks HTTP, S3 or a local folder; `landing`
verifies and writes archives atomically; `fetch` fetches one item with retries; `job` spreads the work
over Spark tasks and keeps the `fetch_ledger` and `removals` tables.
"""
