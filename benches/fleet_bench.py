"""Benchmark: reconcile a fleet of simulated organizations, sequentially vs on a local Dask cluster.

    python benches/fleet_bench.py --orgs 200 --days 14 --latency-ms 100 --threads 4

Every response of the fake is delayed by --latency-ms, as a network would: a fleet's work is
mostly waiting on the API, which is what a cluster overlaps.

All organizations sit behind one fake Admin API on loopback (chosen by key) in this process; the
sequential run calls `AdminClient(...).reconcile(...)` per organization here, the cluster run
submits the same work with `counterfoil.fleet.reconcile` to a LocalCluster of single-threaded
worker processes. Both produce every organization's lines; the summaries are checked to agree.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import sys
import tempfile
import time

import polars as pl

import counterfoil as cf
from counterfoil import fleet

TODAY = dt.date(2026, 11, 20)


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _vmhwm_mib() -> float:
    for line in open("/proc/self/status").read().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--orgs", type=int, default=200)
    ap.add_argument("--days", type=int, default=14)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--threads", type=int, default=1, help="threads per worker (the Rust work releases the GIL)")
    ap.add_argument("--latency-ms", type=int, default=100, help="added to every response, as a network would")
    a = ap.parse_args()
    from distributed import Client, LocalCluster

    t0 = time.perf_counter()
    orgs = [cf.simulate.Organization(seed=1000 + i, days=a.days, today=TODAY) for i in range(a.orgs)]
    api = cf.FakeAdminApi(orgs, latency_ms=a.latency_ms)
    members = []
    for i, key in enumerate(api.api_keys):
        os.environ[f"CF_BENCH_KEY_{i}"] = key
        members.append(fleet.Org(name=f"org-{i:04d}", key_env=f"CF_BENCH_KEY_{i}", base_url=api.base_url))
    start, end = orgs[0].window
    s, e = start.date().isoformat(), end.date().isoformat()
    print(f"{a.orgs} organizations × {a.days} days generated in {time.perf_counter() - t0:.1f} s", file=sys.stderr)

    before = peak_mib()
    t0 = time.perf_counter()
    seq = {}
    for m in members:
        rec = m.client().reconcile(s, e)
        seq[m.name] = rec.summary["discrepancies"]
    sequential = time.perf_counter() - t0
    print(f"sequential: {sequential:.2f} s ({sequential / a.orgs * 1000:.0f} ms per organization)", file=sys.stderr)

    t0 = time.perf_counter()
    cluster = LocalCluster(n_workers=a.workers, threads_per_worker=a.threads, processes=True, dashboard_address=None)
    client = Client(cluster)
    client.run(lambda: __import__("counterfoil"))  # workers import the extension once
    startup = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as out:
        t0 = time.perf_counter()
        summary = fleet.reconcile(members, s, e, client, out=out)
        parallel = time.perf_counter() - t0
        written = sum(f.stat().st_size for f in __import__("pathlib").Path(out).rglob("*.parquet"))
    # VmHWM, not ru_maxrss: a worker's ru_maxrss keeps the parent's peak across fork and exec.
    worker_peaks = client.run(lambda: _vmhwm_mib())
    client.close()
    cluster.close()
    assert summary["error"].null_count() == a.orgs, summary.filter(pl.col("error").is_not_null())
    assert dict(zip(summary["org"], summary["discrepancies"], strict=True)) == seq, "cluster = sequential"
    peaks = sorted(worker_peaks.values())
    print(
        f"local cluster ({a.workers} workers × {a.threads} threads): {parallel:.2f} s "
        f"after a {startup:.1f} s start-up = "
        f"{sequential / parallel:.2f}x the sequential speed; worker peak RSS {peaks[0]:.0f}–{peaks[-1]:.0f} MiB; "
        f"this process {before:.0f} MiB before, {peak_mib():.0f} MiB peak (fake API + organizations); "
        f"{written / 1e6:.1f} MB of results",
        file=sys.stderr,
    )
    slots = a.workers * a.threads
    per_org = parallel / a.orgs * slots
    print(
        f"on paper, 10,000 organizations: {per_org * 10_000 / slots / 60:.1f} min on these {slots} slots, "
        f"{per_org * 10_000 / 256 / 60:.1f} min on 256 (e.g. 32 workers × 8 threads); a slot holds one "
        "organization at a time, so memory per worker stays that of one organization × its threads",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
