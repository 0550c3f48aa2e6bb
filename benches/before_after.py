"""Two builds of counterfoil on the same data, alternating in fresh processes.

    python benches/before_after.py --before ~/venv-old/bin/python --after ~/venv-new/bin/python

Each interpreter must have its own counterfoil wheel installed (build the old commit in its own
worktree and target directory: a shared target directory can link the other tree's crate). The
data is reconcile_bench's `realistic` shape (written once to a temporary directory); each round
runs, for each build, `cf.reconcile(usage, cost)` and `cf.attribute(usage, cost)` once in a fresh
process each, on frames read from Parquet, and prints the seconds of the call alone.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

CALL = """
import sys, time, polars as pl, counterfoil as cf
d = sys.argv[1]
u = pl.read_parquet(f"{d}/usage.parquet"); c = pl.read_parquet(f"{d}/cost.parquet")
t = time.perf_counter()
n = (cf.reconcile(u, c).lines if sys.argv[2] == "reconcile" else cf.attribute(u, c)).height
print(time.perf_counter() - t, n)
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--before", required=True)
    ap.add_argument("--after", required=True)
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--rounds", type=int, default=5)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [
                a.after,
                "-c",
                f"import reconcile_bench as rb, pathlib; rb.make_inputs({a.rows}, pathlib.Path({tmp!r}), 'realistic')",
            ],
            cwd=Path(__file__).parent,
            check=True,
        )
        times: dict[tuple[str, str], list[float]] = {}
        for r in range(a.rounds):
            for build, py in (("before", a.before), ("after", a.after)):
                for task in ("reconcile", "attribute"):
                    out = subprocess.run([py, "-c", CALL, tmp, task], capture_output=True, text=True, check=True)
                    seconds, rows = out.stdout.split()
                    times.setdefault((build, task), []).append(float(seconds))
                    print(f"round {r + 1}: {build:6} {task:9} {float(seconds):6.2f} s  ({rows} rows)", file=sys.stderr)
    for (build, task), xs in sorted(times.items()):
        print(f"{build:6} {task:9} median {statistics.median(xs):5.2f} s  ({min(xs):.2f}–{max(xs):.2f})")


if __name__ == "__main__":
    main()
