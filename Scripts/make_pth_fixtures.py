#!/usr/bin/env python3
"""Developer-time tool (needs torch, torchvision, safetensors): writes the small reference fixtures the
checkpoint and safetensors tests read, plus a random torchvision ResNet18 in /tmp for an optional test.

    python3 Scripts/make_pth_fixtures.py                       # (re)write the fixtures
    python3 Scripts/make_pth_fixtures.py --check-swift-export F  # check a file written by `wbc weights import`

Committed outputs (a few tens of KB):
  Tests/ComputeTests/Fixtures/SafeTensorsReference.safetensors  F16/BF16 specials with their float32 values
  Tests/ModelsTests/Fixtures/*.pth, expected.safetensors        tiny checkpoints and their expected values
Not committed: /tmp/wbc-resnet18-random.{pth,safetensors}.
CI and the library never run this script.
"""
import argparse
import io
import os
import sys
import zipfile
from collections import OrderedDict

import torch
import torch.nn as nn
from safetensors.torch import save_file, load_file

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COMPUTE_FIXTURES = os.path.join(ROOT, "Tests", "ComputeTests", "Fixtures")
MODELS_FIXTURES = os.path.join(ROOT, "Tests", "ModelsTests", "Fixtures")
RESNET18_PTH = "/tmp/wbc-resnet18-random.pth"
RESNET18_SAFETENSORS = "/tmp/wbc-resnet18-random.safetensors"


def safetensors_reference():
    """F16 and BF16 values covering zeros, normals, subnormals, extremes, infinities and NaN."""
    f16 = torch.tensor([0.0, -0.0, 1.0, -2.5, 0.1, 1.0 / 3.0, 65504.0, -65504.0,
                        6.103515625e-05,   # smallest normal
                        5.960464477539063e-08,  # smallest subnormal
                        3.0e-05, -1.5e-06,  # subnormals
                        float("inf"), float("-inf"), float("nan")], dtype=torch.float16)
    bf16 = torch.tensor([0.0, -0.0, 1.0, -2.5, 0.1, 3.0e38, -1.0e-38,
                         9.2e-41,  # bfloat16 subnormal
                         1.0e-45, float("inf"), float("-inf"), float("nan")], dtype=torch.bfloat16)
    g = torch.Generator().manual_seed(1)
    tensors = {
        "f16": f16,
        "f16_as_f32": f16.float(),
        "bf16": bf16,
        "bf16_as_f32": bf16.float(),
        "f32": torch.randn(2, 3, 4, generator=g),
        "f64": torch.tensor([[1.5, -2.25e-3]], dtype=torch.float64),
        "steps": torch.tensor(7, dtype=torch.int64),
        "i32": torch.tensor([-3, 0, 2147483647], dtype=torch.int32),
    }
    save_file(tensors, os.path.join(COMPUTE_FIXTURES, "SafeTensorsReference.safetensors"),
              metadata={"source": "make_pth_fixtures.py", "note": "F16/BF16 reference"})


class Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.bn = nn.BatchNorm2d(4)
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        return self.fc(torch.relu(self.bn(self.conv(x))).mean(dim=(2, 3)))


def cast_floats(state, dtype):
    return OrderedDict((k, v.to(dtype) if v.is_floating_point() else v) for k, v in state.items())


def pth_fixtures():
    torch.manual_seed(0)
    tiny = Tiny()
    tiny.train()
    tiny(torch.randn(2, 3, 5, 5))  # non-trivial running statistics, num_batches_tracked = 1
    state = tiny.state_dict()
    expected = {}

    torch.save(state, os.path.join(MODELS_FIXTURES, "tiny_f32.pth"))
    for k, v in state.items():
        expected["f32/" + k] = v.clone()

    for tag, dtype in (("f16", torch.float16), ("bf16", torch.bfloat16)):
        cast = cast_floats(state, dtype)
        torch.save(cast, os.path.join(MODELS_FIXTURES, f"tiny_{tag}.pth"))
        for k, v in cast.items():
            expected[f"{tag}/" + k] = v.float() if v.is_floating_point() else v.clone()

    wrapped = {"epoch": 3, "arch": "tiny", "best_acc1": 0.625,
               "state_dict": OrderedDict(("module." + k, v) for k, v in state.items()),
               "optimizer": {"param_groups": [{"lr": 0.1, "momentum": 0.9}]}}
    torch.save(wrapped, os.path.join(MODELS_FIXTURES, "tiny_checkpoint.pth"))

    base = torch.arange(24, dtype=torch.float32).reshape(4, 6) / 8 - 1
    halves = (torch.arange(10, dtype=torch.float32) / 3).half()
    views = OrderedDict([
        ("base", base),
        ("row_slice", base[1:3]),          # storage offset 6
        ("transposed", base.t()),          # strides (1, 6)
        ("column", base[:, 2]),            # offset 2, stride 6
        ("tied", base),                    # the same tensor again (pickle memo reference)
        ("half_tail", halves[4:].view(2, 3)),
    ])
    torch.save(views, os.path.join(MODELS_FIXTURES, "shared_views.pth"))
    for k, v in views.items():
        expected["views/" + k] = v.float().contiguous().clone()

    save_file({k: v.contiguous() for k, v in expected.items()}, os.path.join(MODELS_FIXTURES, "expected.safetensors"))

    # A pickle that names os.system: built by hand, never executed.
    evil = (b"\x80\x02" b"cos\nsystem\n" b"q\x00" b"X\x02\x00\x00\x00ls" b"q\x01" b"\x85" b"R" b".")
    with zipfile.ZipFile(os.path.join(MODELS_FIXTURES, "forbidden_global.pth"), "w", zipfile.ZIP_STORED) as z:
        z.writestr("forbidden_global/data.pkl", evil)
        z.writestr("forbidden_global/byteorder", "little")
        z.writestr("forbidden_global/version", "3\n")

    with open(os.path.join(MODELS_FIXTURES, "tiny_f32.pth"), "rb") as f:
        whole = f.read()
    with open(os.path.join(MODELS_FIXTURES, "truncated.pth"), "wb") as f:
        f.write(whole[: len(whole) // 2])

    torch.save(state, os.path.join(MODELS_FIXTURES, "legacy.pth"), _use_new_zipfile_serialization=False)


def resnet18_random():
    import torchvision
    torch.manual_seed(0)
    model = torchvision.models.resnet18()
    with torch.no_grad():
        for name, buf in model.named_buffers():
            if name.endswith("running_mean"):
                buf.normal_()
            elif name.endswith("running_var"):
                buf.uniform_(0.5, 2.0)
            elif name.endswith("num_batches_tracked"):
                buf.fill_(11)
    state = model.state_dict()
    torch.save(state, RESNET18_PTH)
    save_file({k: v.contiguous() for k, v in state.items()}, RESNET18_SAFETENSORS)


def check_swift_export(path):
    """Loads a Swift-written safetensors file with Python's safetensors and compares it to the reference."""
    ours = load_file(path)
    reference = load_file(RESNET18_SAFETENSORS)
    missing = sorted(set(reference) - set(ours))
    extra = sorted(set(ours) - set(reference))
    if missing or extra:
        sys.exit(f"FAIL: missing {missing[:5]}, unexpected {extra[:5]}")
    for k, v in reference.items():
        if ours[k].dtype != v.dtype or ours[k].shape != v.shape or not torch.equal(ours[k], v):
            sys.exit(f"FAIL: {k}: {ours[k].dtype} {tuple(ours[k].shape)} vs {v.dtype} {tuple(v.shape)}")
    print(f"OK: {len(ours)} tensors in {path} equal torch's export (dtypes, shapes, values)")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--check-swift-export", metavar="FILE")
    args = parser.parse_args()
    if args.check_swift_export:
        check_swift_export(args.check_swift_export)
        return
    os.makedirs(COMPUTE_FIXTURES, exist_ok=True)
    os.makedirs(MODELS_FIXTURES, exist_ok=True)
    safetensors_reference()
    pth_fixtures()
    resnet18_random()
    print("wrote fixtures to", COMPUTE_FIXTURES, "and", MODELS_FIXTURES, "and", RESNET18_PTH)


if __name__ == "__main__":
    main()
