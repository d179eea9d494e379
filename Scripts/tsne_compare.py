#!/usr/bin/env python3
"""Compares wbc-cluster's Swift t-SNE with scikit-learn's on the same synthetic data (developer-time tool).

Writes seeded synthetic features (clusters on a 10-d latent space mapped linearly into d dimensions, plus noise) as
raw float32, embeds them with the Swift t-SNE (a release-build test that runs only when WBC_TSNE_INPUT is set) and with
sklearn.manifold.TSNE (perplexity 30, PCA init, learning rate auto, 1000 iterations), then prints time, final KL and
trustworthiness (sklearn.manifold.trustworthiness against the original features) for both.

Usage: python3 Scripts/tsne_compare.py [--n 5000] [--d 2048] [--threads 2] [--workdir .build-clustering/tsne-compare]
Needs numpy and scikit-learn; run from the repository root.
"""
import argparse
import json
import os
import subprocess
import time

import numpy as np
from sklearn.manifold import TSNE, trustworthiness


def synthetic(n, d, seed=0):
    rng = np.random.default_rng(seed)
    clusters = 8
    centres = rng.normal(0, 4, (clusters, 10))
    labels = rng.integers(0, clusters, n)
    latent = centres[labels] + rng.normal(0, 1, (n, 10))
    mixing = rng.normal(0, 1, (10, d)) / np.sqrt(10)
    x = latent @ mixing + rng.normal(0, 0.5, (n, d))
    return x.astype(np.float32), labels


def neighbour_agreement(y, labels, k=10):
    from sklearn.neighbors import NearestNeighbors
    idx = NearestNeighbors(n_neighbors=k + 1).fit(y).kneighbors(y, return_distance=False)[:, 1:]
    return float((labels[idx] == labels[:, None]).mean())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--d", type=int, default=2048)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--workdir", default=".build-clustering/tsne-compare")
    ap.add_argument("--scratch", default=".build-clustering", help="SwiftPM scratch path")
    args = ap.parse_args()

    os.makedirs(args.workdir, exist_ok=True)
    x, labels = synthetic(args.n, args.d)
    path = os.path.abspath(os.path.join(args.workdir, f"blobs-{args.n}x{args.d}.f32"))
    x.tofile(path)

    env = dict(os.environ, WBC_TSNE_INPUT=path, WBC_TSNE_N=str(args.n), WBC_TSNE_D=str(args.d))
    subprocess.run(["nice", "-n", "15", "swift", "test", "-c", "release", "-j", "1", "--scratch-path", args.scratch,
                    "-Xswiftc", "-enable-testing", "--filter", "TSNEComparisonTests"], env=env, check=True)
    y_swift = np.fromfile(path + ".swift.f32", dtype=np.float32).reshape(args.n, 2)
    with open(path + ".swift.json") as f:
        swift = json.load(f)

    start = time.perf_counter()
    sk = TSNE(n_components=2, perplexity=30, init="pca", learning_rate="auto", max_iter=1000, random_state=0,
              n_jobs=args.threads)
    y_sk = sk.fit_transform(x)
    sk_seconds = time.perf_counter() - start

    rows = [("swift", swift["seconds"], swift["kl_divergence"], y_swift),
            ("sklearn", sk_seconds, float(sk.kl_divergence_), y_sk)]
    print(f"\n{args.n} x {args.d} float32, perplexity 30, 1000 iterations, {args.threads} threads")
    print("| implementation | seconds | final KL | trustworthiness k=5 | k=15 | 10-NN label agreement |")
    print("|---|---|---|---|---|---|")
    for name, seconds, kl, y in rows:
        t5 = trustworthiness(x, y, n_neighbors=5)
        t15 = trustworthiness(x, y, n_neighbors=15)
        print(f"| {name} | {seconds:.1f} | {kl:.3f} | {t5:.4f} | {t15:.4f} | {neighbour_agreement(y, labels):.4f} |")


if __name__ == "__main__":
    main()
