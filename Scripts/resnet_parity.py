#!/usr/bin/env python3
"""Developer-time tool: reference values for the ResNet parity check (never committed: ~100 MB).

    python3 Scripts/resnet_parity.py OUT_DIR [--arch resnet50] [--size 224] [--batch 4]

Writes OUT_DIR/weights.safetensors and OUT_DIR/weights.pth (a randomly initialised torchvision model,
seed 0, with BN running statistics perturbed so evaluation mode is not trivial; the .pth as torch.save
writes a state dict) and OUT_DIR/reference.safetensors:
  x                      the fixed input batch
  eval.pooled, eval.logits   evaluation-mode outputs
  train.loss             cross-entropy of one training-mode forward on `labels`
  train.gradnorm.<name>  per-parameter gradient L2 norms of that step
  train.torch32err.<name>  the relative error of PyTorch's own float32 gradient norm

The training references are computed in float64. A random-init ResNet50 at a small batch is
ill-conditioned enough that PyTorch's own float32 gradient norms differ from float64 by up to ~0.4 %,
so the Swift check requires the median over parameters within 1e-3 and each parameter within
max(5e-3, 3 x PyTorch's float32 error) (Tests/ModelsTests/ResNetTests.swift).
"""
import argparse, os
import torch, torchvision
import torch.nn.functional as F
from safetensors.torch import save_file

ap = argparse.ArgumentParser()
ap.add_argument("out")
ap.add_argument("--arch", default="resnet50")
ap.add_argument("--size", type=int, default=224)
ap.add_argument("--batch", type=int, default=4)
a = ap.parse_args()
os.makedirs(a.out, exist_ok=True)
torch.manual_seed(0)
model = getattr(torchvision.models, a.arch)(weights=None)
with torch.no_grad():
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.normal_(0, 0.1)
            m.running_var.uniform_(0.5, 1.5)
            m.weight.uniform_(0.5, 1.5)
            m.bias.normal_(0, 0.1)
sd = {k: v.contiguous() for k, v in model.state_dict().items()}
save_file(sd, os.path.join(a.out, "weights.safetensors"))
torch.save(model.state_dict(), os.path.join(a.out, "weights.pth"))  # the same weights through the .pth reader

x = torch.randn(a.batch, 3, a.size, a.size)
labels = torch.arange(a.batch) * 7 % 1000
ref = {"x": x, "labels": labels.float()}
model.eval()
with torch.no_grad():
    feats = torch.flatten(model.avgpool(model.layer4(model.layer3(model.layer2(model.layer1(
        model.maxpool(model.relu(model.bn1(model.conv1(x))))))))), 1)
    ref["eval.pooled"] = feats
    ref["eval.logits"] = model.fc(feats)
model.train()
loss32 = F.cross_entropy(model(x), labels)
loss32.backward()
norms32 = {n: p.grad.norm().item() for n, p in model.named_parameters()}
model64 = model.double()
model64.zero_grad()
loss = F.cross_entropy(model64(x.double()), labels)
loss.backward()
ref["train.loss"] = loss.detach().float().reshape(1)
for n, p in model64.named_parameters():
    g = p.grad.norm().item()
    ref[f"train.gradnorm.{n}"] = torch.tensor([g], dtype=torch.float32)
    ref[f"train.torch32err.{n}"] = torch.tensor([abs(norms32[n] - g) / max(g, 1e-12)], dtype=torch.float32)
save_file(ref, os.path.join(a.out, "reference.safetensors"))
print(f"wrote {a.out}: {a.arch}, batch {a.batch} at {a.size}², loss {loss.item():.6f}")
