"""Baseline for bench/models.ts: scikit-learn's HistGradientBoostingClassifier on the same flights
data (CSV: the system Python has no Parquet reader), with parameters matching sluice's gbdt.

Usage: /usr/bin/python3 models_baseline.py TRAIN.csv TEST.csv PARAMS_JSON
Prints one JSON line: training seconds (best of two fits), prediction seconds and throughput (best of
three), ROC AUC on the test set.
"""
import json
import sys
import time

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score

train_path, test_path, params = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
features = ["hour", "weekday", "distance", "origin", "destination"]
train = pd.read_csv(train_path)
test = pd.read_csv(test_path)
for col in ["origin", "destination"]:  # categories as integer codes, unseen ones as missing
    cats = pd.Categorical(train[col]).categories
    train[col] = pd.Categorical(train[col], categories=cats).codes
    test[col] = pd.Categorical(test[col], categories=cats).codes.astype(float)
    test.loc[test[col] < 0, col] = np.nan
X, y = train[features].to_numpy(float), train["delayed"].to_numpy()
Xt, yt = test[features].to_numpy(float), test["delayed"].to_numpy()

train_s = float("inf")
for _ in range(2):  # best of two, as the TypeScript side measures
    model = HistGradientBoostingClassifier(categorical_features=[3, 4], random_state=params["seed"], **params["hgb"])
    t0 = time.perf_counter()
    model.fit(X, y)
    train_s = min(train_s, time.perf_counter() - t0)
predict_s = float("inf")
for _ in range(3):  # best of three, as the TypeScript side measures
    t0 = time.perf_counter()
    p = model.predict_proba(Xt)[:, 1]
    predict_s = min(predict_s, time.perf_counter() - t0)
print(json.dumps({
    "train_s": train_s, "iterations": int(model.n_iter_), "predict_s": predict_s,
    "rows_per_s": len(Xt) / predict_s, "roc_auc": float(roc_auc_score(yt, p)),
}))
