"""The simulated organization that the fake Admin API serves (tests, demo, notebooks, benchmarks).

``Organization(seed=7, days=14, today=None)`` is deterministic for a given seed, day count and
"today" (default: today, UTC). Its ground truth is available as frames: ``usage_records()`` and
``cost_lines()``.

``cloud_bills(dir, seed=7, days=14, end=None)`` writes the same kind of organization's Claude
traffic on AWS Bedrock and Google Vertex as the clouds bill it (CUR 2.0 Parquet and CSV.gz, the
legacy CUR and its Athena Parquet, the GCP export as Parquet, NDJSON and CSV, Bedrock invocation
logs), with seven plants, and returns the ground truth that ``dir/truth.json`` holds: one line per
Claude line item, money as decimal strings. ``dir`` must be new, empty, or an earlier output.
"""

from counterfoil._native import Organization, cloud_bills

__all__ = ["Organization", "cloud_bills"]
