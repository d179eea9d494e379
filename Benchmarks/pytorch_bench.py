#!/usr/bin/env python3
"""PyTorch side of Benchmarks/compare-pytorch.sh: the same configuration as `wbc bench`.

    python3 Benchmarks/pytorch_bench.py --model resnet50 --mode forward|train --batch 16 --size 224 \
        --threads 2 --repeat 5 [--channels-last]

forward = eval mode, no grad; train = forward + cross-entropy + backward + SGD(momentum 0.9) step.
Prints one JSON object with images_per_second and median_seconds.
"""
import argparse, json, time
import torch, torchvision
import torch.nn.functional as F

ap = argparse.ArgumentParser()
ap.add_argument("--model", default="resnet50")
ap.add_argument("--mode", default="forward")
ap.add_argument("--batch", type=int, default=16)
ap.add_argument("--size", type=int, default=224)
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--repeat", type=int, default=5)
ap.add_argument("--warmup", type=int, default=2)
ap.add_argument("--channels-last", action="store_true")
a = ap.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(0)
m = getattr(torchvision.models, a.model)()
x = torch.randn(a.batch, 3, a.size, a.size)
labels = torch.randint(0, 1000, (a.batch,))
if a.channels_last:
    m = m.to(memory_format=torch.channels_last)
    x = x.to(memory_format=torch.channels_last)
opt = torch.optim.SGD(m.parameters(), lr=1e-4, momentum=0.9)


def once():
    if a.mode == "forward":
        with torch.no_grad():
            m(x)
    else:
        opt.zero_grad()
        F.cross_entropy(m(x), labels).backward()
        opt.step()


m.train(a.mode == "train")
for _ in range(a.warmup):
    once()
times = []
for _ in range(a.repeat):
    t = time.perf_counter()
    once()
    times.append(time.perf_counter() - t)
times.sort()
med = times[len(times) // 2]
print(json.dumps({"images_per_second": a.batch / med, "median_seconds": med}))
