"""Baseline for bench/drift.ts: the same per-column drift tests with pandas + NumPy + SciPy, as
Evidently computes them by default (Evidently's own code is not needed: its default tests for a
reference of more than 1000 rows are SciPy's normed Wasserstein distance and Jensen-Shannon
distance on Evidently's binning).

Usage: python3 drift_baseline.py REFERENCE.csv CURRENT.csv [--numerical a,b] [--categorical c,d]
Prints one JSON line: timings (load, compute), and per-column test, score and verdict.
"""
import json
import sys
import time

import numpy as np
import pandas as pd
from scipy import stats
from scipy.spatial.distance import jensenshannon


def binned(ref, cur, numerical):
    """Evidently's get_binned_data without zero filling (what jensenshannon uses)."""
    if numerical and pd.Series(ref).nunique() > 20:
        edges = np.histogram_bin_edges(np.concatenate([ref, cur]), bins="sturges")
        return np.histogram(ref, edges)[0] / len(ref), np.histogram(cur, edges)[0] / len(cur)
    r = pd.Series(ref).value_counts()
    c = pd.Series(cur).value_counts()
    keys = r.index.union(c.index)
    return r.reindex(keys, fill_value=0).values / len(ref), c.reindex(keys, fill_value=0).values / len(cur)


def column_drift(ref, cur, numerical):
    values = len(np.unique(np.concatenate([ref, cur])))
    if len(ref) <= 1000:
        raise SystemExit("the baseline covers references of more than 1000 rows only")
    if numerical and values > 5:
        score = stats.wasserstein_distance(ref, cur) / max(np.std(ref), 0.001)
        return "wasserstein", float(score), bool(score >= 0.1)
    r, c = binned(ref, cur, numerical)
    score = jensenshannon(r, c)
    return "jensenshannon", float(score), bool(score >= 0.1)


def main():
    args = sys.argv[1:]
    ref_path, cur_path = args[0], args[1]
    t0 = time.perf_counter()
    reference = pd.read_csv(ref_path)
    current = pd.read_csv(cur_path)
    t_load = time.perf_counter() - t0

    columns = []
    for name in reference.columns:
        s = reference[name]
        if s.dtype == object and pd.to_datetime(s.head(5), errors="coerce").notna().all():
            continue  # datetime columns are not tested
        numerical = pd.api.types.is_float_dtype(s) or (pd.api.types.is_integer_dtype(s) and s.nunique() > 5)
        if pd.api.types.is_bool_dtype(s):
            numerical = False
        clean = lambda x: x.replace([np.inf, -np.inf], np.nan).dropna().to_numpy()
        columns.append((name, numerical, clean(s), clean(current[name])))

    t1 = time.perf_counter()
    results = {name: column_drift(ref, cur, numerical) for name, numerical, ref, cur in columns}
    t_compute = time.perf_counter() - t1

    t2 = time.perf_counter()
    report = {"columns": {k: {"stattest": v[0], "score": v[1], "drift_detected": v[2]} for k, v in results.items()}}
    json.dumps(report)
    t_out = time.perf_counter() - t2
    print(json.dumps({"load_s": t_load, "compute_s": t_compute, "total_s": t_load + t_compute + t_out, **report}))


if __name__ == "__main__":
    main()
