"""Export: `pairs` -> WebDataset shards per licence subset that open_clip streams as they are.

- ``settings``     the `export` config section, validated
- ``filters``      one drop reason per pair (Spark column), counted per reason
- ``plan``         seeded shuffle order -> global index -> contiguous shard numbers (driver-side arithmetic)
- ``images``       the image file of a sample (DESIGN's image-bytes rule, optional downsizing)
- ``sample_json``  the per-sample JSON, one pure function per `export.format`
- ``shards``       one shard's tar, parquet sidecar and stats, written atomically through fsspec
- ``state``        what a subset folder records (config, table versions) and what a re-run may do there
- ``job``          the Spark job composing the above
"""
