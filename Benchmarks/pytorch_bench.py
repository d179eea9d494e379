#!/usr/bin/env python3
"""PyTorch side of Benchmarks/compare-pytorch.sh: the same configuration as `wbc bench`.

    python3 Benchmarks/pytorch_bench.py --model resnet50 --mode forward|train --batch 16 --size 224 \
        --threads 2 --repeat 5 [--channels-last]

forward = eval mode, no grad; train = forward + cross-entropy + backward + SGD(momentum 0.9) step;
--model efficientnet-lite0…4 takes the `efficientnet-lite-pytorch` package from $WBC_EFFICIENTNET_REF (a folder
holding its unpacked wheel; compare-pytorch.sh fetches it into .build/efficientnet-ref).
contrastive = a SimCLR step (--width W for a ResNet of base width W): two views per image (made once, untimed),
backbone + projection head (Linear, ReLU, Linear to 128), L2 normalisation, NT-Xent (tau 0.2), backward, AdamW;
images/s counts images, not views.
Prints one JSON object with images_per_second and median_seconds.
"""
import argparse, json, os, sys, time
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
ap.add_argument("--width", type=int, default=64)
a = ap.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(0)
def resnet(name, width):
    """torchvision's ResNet with base width `width` (64 = torchvision's own)."""
    from torchvision.models.resnet import BasicBlock, Bottleneck, ResNet
    block, layers = {"resnet18": (BasicBlock, [2, 2, 2, 2]), "resnet34": (BasicBlock, [3, 4, 6, 3]),
                     "resnet50": (Bottleneck, [3, 4, 6, 3])}[name]
    net = ResNet(block, layers)
    if width == 64:
        return net
    net.inplanes = width
    net.conv1 = torch.nn.Conv2d(3, width, 7, 2, 3, bias=False)
    net.bn1 = torch.nn.BatchNorm2d(width)
    for i in range(4):
        setattr(net, f"layer{i + 1}", net._make_layer(block, width << i, layers[i], stride=1 if i == 0 else 2))
    net.fc = torch.nn.Linear(8 * width * block.expansion, 1000)
    return net


def efficientnet_lite(name):
    """The reference package's EfficientNet-Lite (ReLU6, no squeeze-and-excitation), random weights."""
    sys.path.insert(0, os.environ.get("WBC_EFFICIENTNET_REF", ".build/efficientnet-ref"))
    from efficientnet_lite_pytorch import EfficientNet
    return EfficientNet.from_name(name)


if a.model.startswith("efficientnet-lite"):
    m = efficientnet_lite(a.model)
    if a.mode == "contrastive":
        raise SystemExit("pytorch_bench.py: --mode contrastive is for the ResNets")
else:
    m = resnet(a.model, a.width)
x = torch.randn(a.batch, 3, a.size, a.size)
labels = torch.randint(0, 1000, (a.batch,))
if a.channels_last:
    m = m.to(memory_format=torch.channels_last)
    x = x.to(memory_format=torch.channels_last)
opt = torch.optim.SGD(m.parameters(), lr=1e-4, momentum=0.9)
if a.mode == "contrastive":
    channels = m.fc.in_features
    m.fc = torch.nn.Sequential(torch.nn.Linear(channels, channels), torch.nn.ReLU(), torch.nn.Linear(channels, 128))
    views = torch.rand(2 * a.batch, 3, a.size, a.size) * 2 - 1
    if a.channels_last:
        m = m.to(memory_format=torch.channels_last)
        views = views.to(memory_format=torch.channels_last)
    opt = torch.optim.AdamW(m.parameters(), lr=1e-3, weight_decay=1e-4)
    n2 = 2 * a.batch
    mask = torch.eye(n2, dtype=torch.bool)
    target = torch.cat([torch.arange(a.batch, n2), torch.arange(0, a.batch)])


def once():
    if a.mode == "forward":
        with torch.no_grad():
            m(x)
    elif a.mode == "contrastive":
        opt.zero_grad()
        z = F.normalize(m(views), dim=1)
        sim = (z @ z.t() / 0.2).masked_fill(mask, float("-inf"))
        F.cross_entropy(sim, target).backward()
        opt.step()
    else:
        opt.zero_grad()
        F.cross_entropy(m(x), labels).backward()
        opt.step()


m.train(a.mode != "forward")
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
