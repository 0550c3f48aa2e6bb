"""The simulated organization that the fake Admin API serves (tests, demo, notebooks, benchmarks).

``Organization(seed=7, days=14, today=None)`` is deterministic for a given seed, day count and
"today" (default: today, UTC). Its ground truth is available as frames: ``usage_records()`` and
``cost_lines()``.
"""

from counterfoil._native import Organization

__all__ = ["Organization"]
