#!/usr/bin/env python3
"""Writes the reference fixture of AverageLinkage (developer-time tool; the tests never run Python).

  Tests/ClusteringTests/Fixtures/linkage.json  scipy.cluster.hierarchy.linkage(method="average", metric="cosine"):
                                               merge distances, and the clusters of fcluster(criterion="maxclust")

Cases: blobs of unequal sizes (one of 3 points among 60), and plain Gaussian noise. The inputs are rounded to
float32 so that Swift sees exactly these values.

Usage: python3 Scripts/make_linkage_fixture.py   (needs numpy, scipy)
"""
import json
import os

import numpy as np
import scipy
from scipy.cluster.hierarchy import fcluster, linkage

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "ClusteringTests", "Fixtures", "linkage.json")


def case(name, x, ks):
    x = x.astype(np.float32).astype(np.float64)
    z = linkage(x, method="average", metric="cosine")
    return {
        "name": name,
        "n": x.shape[0],
        "d": x.shape[1],
        "x": x.ravel().tolist(),
        "distances": z[:, 2].tolist(),
        "clusters": {str(k): (fcluster(z, k, criterion="maxclust") - 1).tolist() for k in ks},
    }


def main():
    rng = np.random.default_rng(7)
    centres = rng.normal(size=(4, 8)) * 3
    sizes = [30, 20, 7, 3]
    blobs = np.concatenate([c + rng.normal(size=(s, 8)) * 0.6 for c, s in zip(centres, sizes)])
    blobs = blobs[rng.permutation(len(blobs))]
    noise = rng.normal(size=(45, 5))
    cases = [case("unequal blobs", blobs, [2, 4, 6]), case("noise", noise, [3, 7])]
    with open(OUT, "w") as f:
        json.dump({"generator": "Scripts/make_linkage_fixture.py", "scipy": scipy.__version__, "cases": cases}, f)
        f.write("\n")


if __name__ == "__main__":
    main()
