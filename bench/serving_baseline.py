"""Baseline for bench/serving.ts: the same model served by FastAPI + uvicorn + scikit-learn, answering
the Open Inference Protocol v2 request the benchmark sends (one row: distance FP32, hour FP32,
origin BYTES) with the same outputs (label INT64, probabilities FP32 [N, 2]).

Usage: /usr/bin/python3 serving_baseline.py TRAIN.csv PORT
The model is a logistic regression on standardised numbers and one-hot origins, like sluice's
(NumPy arrays: Debian's system Python needs no pandas for it).
"""
import sys

import numpy as np
import csv
import uvicorn
from fastapi import FastAPI, Request
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

train_path, port = sys.argv[1], int(sys.argv[2])
with open(train_path) as f:
    rows = list(csv.DictReader(f))
features = ["distance", "hour", "origin"]


def table(columns):
    """An object array with one column per feature, numbers as floats."""
    return np.column_stack(
        [np.asarray(columns["distance"], dtype=float), np.asarray(columns["hour"], dtype=float), np.asarray(columns["origin"], dtype=object)]
    ).astype(object)


model = make_pipeline(
    ColumnTransformer([("num", StandardScaler(), [0, 1]), ("cat", OneHotEncoder(handle_unknown="ignore"), [2])]),
    LogisticRegression(C=1.0, max_iter=200),
).fit(table({f: [r[f] for r in rows] for f in features}), [int(r["delayed"]) for r in rows])

app = FastAPI()


@app.post("/v2/models/{name}/infer")
async def infer(name: str, request: Request):
    body = await request.json()
    columns = {i["name"]: np.asarray(i["data"]).reshape(-1) for i in body["inputs"]}
    frame = table(columns)
    probabilities = model.predict_proba(frame)
    out = {
        "model_name": name,
        "model_version": "1",
        "outputs": [
            {"name": "label", "shape": [len(frame)], "datatype": "INT64", "data": probabilities.argmax(1).tolist()},
            {"name": "probabilities", "shape": list(probabilities.shape), "datatype": "FP32", "data": probabilities.astype(np.float32).reshape(-1).tolist()},
        ],
    }
    if "id" in body:
        out["id"] = body["id"]
    return out


uvicorn.run(app, host="127.0.0.1", port=port, log_level="info", access_log=True)
