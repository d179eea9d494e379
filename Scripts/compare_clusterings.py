#!/usr/bin/env python3
"""Developer-time tool: other clusterings of a run's saved features, and the silhouette over k, for choosing
a preset's clustering on TRAIN (never on TEST).

    python3 Scripts/compare_clusterings.py RUN [RUN ...]     # needs numpy, scipy, scikit-learn

Each RUN is a wbc run directory with features-train.npy, features-test.npy and assignments.csv (the labels
are read from it only to score). Every alternative is fitted on TRAIN, scored on TRAIN, and applied to TEST.
Prints one line per run and alternative, the mean ± std over the runs, and the silhouette for k = 2..10.
"""
import csv
import sys

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.cluster import AgglomerativeClustering, KMeans, SpectralClustering
from sklearn.decomposition import PCA
from sklearn.metrics import normalized_mutual_info_score, silhouette_score
from sklearn.mixture import GaussianMixture
from sklearn.neighbors import NearestNeighbors


def accuracy(labels, clusters):
    k = max(clusters.max(), labels.max()) + 1
    m = np.zeros((k, k))
    for c, y in zip(clusters, labels):
        m[c, y] += 1
    rows, cols = linear_sum_assignment(-m)
    return m[rows, cols].sum() / len(labels)


def load(run):
    rows = list(csv.DictReader(open(f"{run}/assignments.csv")))
    names = sorted({r["label"] for r in rows})
    split = lambda s: np.array([names.index(r["label"]) for r in rows if r["split"] == s])
    return np.load(f"{run}/features-train.npy"), split("train"), np.load(f"{run}/features-test.npy"), split("test")


def unit(x):
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def alternatives(x, xt, seed, k=4):
    km = KMeans(k, n_init=10, random_state=seed).fit(x)
    yield "k-means, 10 restarts", km.labels_, km.predict(xt)
    km = KMeans(k, n_init=100, random_state=seed).fit(x)
    yield "k-means, 100 restarts", km.labels_, km.predict(xt)
    pca = PCA(50, random_state=0).fit(x)
    z, zt = pca.transform(x), pca.transform(xt)
    km = KMeans(k, n_init=10, random_state=seed).fit(z)
    yield "PCA 50, k-means", km.labels_, km.predict(zt)
    g = GaussianMixture(k, covariance_type="diag", random_state=seed, n_init=3).fit(z)
    yield "PCA 50, Gaussian mixture (diagonal)", g.predict(z), g.predict(zt)
    white = PCA(50, whiten=True, random_state=0).fit(x)
    w, wt = unit(white.transform(x)), unit(white.transform(xt))
    km = KMeans(k, n_init=10, random_state=seed).fit(w)
    yield "PCA 50 whitened, unit length, k-means", km.labels_, km.predict(wt)
    km = KMeans(40, n_init=3, random_state=seed).fit(x)
    merge = AgglomerativeClustering(k, linkage="ward").fit(km.cluster_centers_)
    yield "k-means to 40, Ward-merged", merge.labels_[km.labels_], merge.labels_[km.predict(xt)]
    sc = SpectralClustering(k, affinity="nearest_neighbors", n_neighbors=20, random_state=seed, assign_labels="cluster_qr").fit(x)
    near = NearestNeighbors(n_neighbors=10).fit(x).kneighbors(xt, return_distance=False)
    yield "spectral, 20-neighbour graph", sc.labels_, np.array([np.bincount(sc.labels_[i], minlength=k).argmax() for i in near])


def main(runs):
    scores = {}
    rng = np.random.default_rng(0)
    for seed, run in enumerate(runs):
        x, y, xt, yt = load(run)
        for name, train, test in alternatives(x, xt, seed):
            r = (accuracy(y, train), accuracy(yt, test), normalized_mutual_info_score(yt, test))
            scores.setdefault(name, []).append(r)
            print(f"{run}  {name:40s} TRAIN ACC {r[0]:.3f}  TEST ACC {r[1]:.3f}  NMI {r[2]:.3f}", flush=True)
        sample = rng.choice(len(x), min(3000, len(x)), replace=False)
        curve = []
        for k in range(2, 11):
            labels = KMeans(k, n_init=3, random_state=0).fit(x).labels_
            curve.append(silhouette_score(x[sample], labels[sample], metric="cosine"))
        best = 2 + int(np.argmax(curve))
        print(f"{run}  silhouette (cosine) k=2..10: " + " ".join(f"{s:.3f}" for s in curve) + f"  → k = {best}", flush=True)
    for name, rows in scores.items():
        a = np.array(rows)
        spread = lambda c: f"{a[:, c].mean():.3f} ± {a[:, c].std(ddof=1) if len(a) > 1 else 0:.3f}"
        print(f"{name:40s} TRAIN ACC {spread(0)}  TEST ACC {spread(1)}  TEST NMI {a[:, 2].mean():.3f}")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
