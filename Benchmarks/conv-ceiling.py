#!/usr/bin/env python3
"""Developer-time: the time ResNet-50's convolutions would take per batch if each ran as fast as it does in
isolation, from the output of conv-implementations.sh: every distinct shape's time with the kernel wbc uses
there (Winograd for 3x3 stride-1 backward-data from 7x7 outputs and backward-weights from 4x4, as
ConvolutionOps.winogradMinimumSide says; oneDNN's first direct kernel otherwise; for inference, the first JIT
kernel), times how often ResNet-50 has that layer.

    for p in training backward-data backward-weights; do Benchmarks/conv-implementations.sh 16 $p 96; done > LOG
    Benchmarks/conv-ceiling.py LOG [--image 96]
"""
import argparse
import re

ap = argparse.ArgumentParser()
ap.add_argument("logs", nargs="+")
ap.add_argument("--image", type=int, default=96, help="the image side the log was measured at")
a = ap.parse_args()

# "in out side-at-224² kernel stride": how many ResNet-50 convolutions have this shape (53 in all).
counts = {"3 64 224 7 2": 1, "64 64 56 1 1": 1, "64 64 56 3 1": 3, "64 256 56 1 1": 4, "256 64 56 1 1": 2,
          "256 128 56 1 1": 1, "128 128 56 3 2": 1, "256 512 56 1 2": 1, "128 512 28 1 1": 4, "512 128 28 1 1": 3,
          "128 128 28 3 1": 3, "512 256 28 1 1": 1, "256 256 28 3 2": 1, "512 1024 28 1 2": 1, "256 1024 14 1 1": 6,
          "1024 256 14 1 1": 5, "256 256 14 3 1": 5, "1024 512 14 1 1": 1, "512 512 14 3 2": 1, "1024 2048 14 1 2": 1,
          "512 2048 7 1 1": 3, "2048 512 7 1 1": 2, "512 512 7 3 1": 2}
assert sum(counts.values()) == 53

times, batch = {}, None
key = None
for path in a.logs:
    for line in open(path):
        m = re.match(r"(\S+) (\d+)->(\d+) (\d)x\d stride (\d) on (\d+)², batch (\d+):", line)
        if m:
            key = m.groups()[:6]
            batch = int(m.group(7))
            times[key] = []
            continue
        m = re.match(r"\s+(\S+)\s+([\d.]+) ms/image", line)
        if m and key:
            times[key].append((m.group(1), float(m.group(2))))

totals = {}
for (p, ic, oc, k, s, side), kernels in times.items():
    count = counts[f"{ic} {oc} {int(side) * 224 // a.image} {k} {s}"]
    out = (int(side) + 2 * (int(k) // 2) - int(k)) // int(s) + 1
    winograd = k == "3" and s == "1" and (
        (p in ("inference", "backward-data") and out >= 7) or (p == "backward-weights" and out >= 4))
    if p == "inference":
        chosen = [t for n, t in kernels if n.startswith(("jit_1x1:", "jit:", "jit_wino_4x3:")) and ("wino" in n) == winograd]
    else:
        chosen = [t for n, t in kernels if ("wino" in n) == winograd]
    ms = (chosen or [kernels[0][1]])[0] * batch * count
    totals[p] = totals.get(p, 0) + ms
for p, ms in totals.items():
    print(f"{p:17s} {ms:7.1f} ms per batch of {batch}")
print(f"{'all':17s} {sum(totals.values()):7.1f} ms")
