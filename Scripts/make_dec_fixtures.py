#!/usr/bin/env python3
"""Writes the reference fixtures of the Clustering tests (developer-time tool; the tests never run Python).

  Tests/ClusteringTests/Fixtures/dec.json      DEC objective: z, mu, q, p, KL loss and autograd gradients (PyTorch)
  Tests/ClusteringTests/Fixtures/metrics.json  accuracy (Hungarian), NMI, ARI, confusion matrix (scikit-learn/SciPy)

Usage: python3 Scripts/make_dec_fixtures.py   (needs torch, numpy, scikit-learn)
"""
import json
import os

import numpy as np
import torch
import torch.nn.functional as F
from scipy.optimize import linear_sum_assignment
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score
from sklearn.metrics.cluster import contingency_matrix

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "ClusteringTests", "Fixtures")


def dec_case(seed, n, k, d, alpha, spread):
    g = torch.Generator().manual_seed(seed)
    z = (torch.randn(n, d, generator=g, dtype=torch.float64) * spread).requires_grad_(True)
    mu = (torch.randn(k, d, generator=g, dtype=torch.float64) * spread).requires_grad_(True)
    # Round the inputs to float32 so that Swift sees exactly these values.
    with torch.no_grad():
        z.copy_(z.float().double())
        mu.copy_(mu.float().double())
    dist = ((z.unsqueeze(1) - mu.unsqueeze(0)) ** 2).sum(dim=2)
    q = (1.0 + dist / alpha).pow(-(alpha + 1.0) / 2.0)
    q = q / q.sum(dim=1, keepdim=True)
    weight = q.detach() ** 2 / q.detach().sum(dim=0)
    p = weight / weight.sum(dim=1, keepdim=True)
    case = {"n": n, "k": k, "d": d, "alpha": alpha,
            "z": z.detach().flatten().tolist(), "mu": mu.detach().flatten().tolist(),
            "q": q.detach().flatten().tolist(), "p": p.flatten().tolist()}
    for reduction in ("batchmean", "sum"):
        z.grad = None
        mu.grad = None
        dist = ((z.unsqueeze(1) - mu.unsqueeze(0)) ** 2).sum(dim=2)
        qq = (1.0 + dist / alpha).pow(-(alpha + 1.0) / 2.0)
        qq = qq / qq.sum(dim=1, keepdim=True)
        loss = F.kl_div(qq.log(), p, reduction=reduction)
        loss.backward()
        case[reduction] = {"loss": loss.item(), "grad_z": z.grad.flatten().tolist(),
                           "grad_mu": mu.grad.flatten().tolist()}
    return case


COARSE = {"LYMPHOCYTE": 0, "MONOCYTE": 0, "BASOPHIL": 0, "NEUTROPHIL": 1, "EOSINOPHIL": 1}


def metrics_case(name, labels, clusters, class_names=None):
    labels = np.asarray(labels)
    clusters = np.asarray(clusters)
    table = contingency_matrix(labels, clusters)
    rows, cols = linear_sum_assignment(table, maximize=True)
    case = {"name": name, "labels": labels.tolist(), "clusters": clusters.tolist(),
            "accuracy": float(table[rows, cols].sum() / len(labels)),
            "nmi": float(normalized_mutual_info_score(labels, clusters)),
            "ari": float(adjusted_rand_score(labels, clusters))}
    if class_names is not None:
        # labels and clusters are indices here: full confusion matrix, mapping, coarse accuracy.
        k = int(clusters.max()) + 1
        confusion = np.zeros((len(class_names), k), dtype=int)
        for l, c in zip(labels, clusters):
            confusion[l, c] += 1
        r, c = linear_sum_assignment(confusion, maximize=True)
        mapping = [None] * k
        for ri, ci in zip(r, c):
            mapping[ci] = int(ri)
        for ci in range(k):
            if mapping[ci] is None and confusion[:, ci].sum() > 0:
                mapping[ci] = int(confusion[:, ci].argmax())
        right = sum(1 for l, cl in zip(labels, clusters)
                    if mapping[cl] is not None
                    and COARSE[class_names[mapping[cl]].upper()] == COARSE[class_names[l].upper()])
        case.update({"class_names": class_names, "cluster_count": k, "confusion": confusion.tolist(),
                     "matched_total": int(confusion[r, c].sum()), "mapping": mapping,
                     "coarse_accuracy": right / len(labels)})
    return case


def main():
    os.makedirs(OUT, exist_ok=True)
    dec = [dec_case(1, 7, 3, 5, 1.0, 1.0), dec_case(2, 10, 4, 3, 2.5, 2.0), dec_case(3, 6, 2, 8, 0.5, 0.7),
           dec_case(4, 12, 5, 16, 1.0, 3.0)]
    with open(os.path.join(OUT, "dec.json"), "w") as f:
        json.dump({"generator": "Scripts/make_dec_fixtures.py", "torch": torch.__version__, "cases": dec}, f)

    rng = np.random.default_rng(7)
    names = ["EOSINOPHIL", "Lymphocyte", "monocyte", "NEUTROPHIL"]
    truth = rng.integers(0, 4, 60)
    noisy = np.where(rng.random(60) < 0.7, (truth + 1) % 4, rng.integers(0, 4, 60))
    cases = [
        metrics_case("random 4x4", truth, noisy, names),
        metrics_case("more clusters than classes", truth[:40], rng.integers(0, 6, 40), names),
        metrics_case("fewer clusters than classes", truth[:45], truth[:45] % 2 + (rng.random(45) < 0.2), names),
        metrics_case("single cluster", truth[:20], np.zeros(20, dtype=int), names),
        metrics_case("all equal", np.zeros(9, dtype=int), np.zeros(9, dtype=int), names),
        metrics_case("permuted perfect", truth[:30], (truth[:30] + 2) % 4, names),
        metrics_case("arbitrary codes", [5, 5, -1, -1, 9, 9, 9, 5], [2, 7, 7, 7, 0, 0, 2, 2]),
        metrics_case("every point its own cluster", [0, 0, 1, 1, 2], [0, 1, 2, 3, 4]),
        metrics_case("labels single class", np.zeros(12, dtype=int), rng.integers(0, 3, 12)),
    ]
    with open(os.path.join(OUT, "metrics.json"), "w") as f:
        json.dump({"generator": "Scripts/make_dec_fixtures.py", "cases": cases}, f)


if __name__ == "__main__":
    main()
