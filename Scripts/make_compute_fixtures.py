#!/usr/bin/env python3
"""Developer-time tool: writes PyTorch reference values for the compute core's tests.

    python3 Scripts/make_compute_fixtures.py   # writes Tests/ComputeTests/Fixtures/ops.safetensors

Every op is run in float64 for the reference and stored as float32, so the Swift side is compared
against values that carry no float32 rounding of PyTorch's own.
"""
import torch
import torch.nn.functional as F
from safetensors.torch import save_file

torch.manual_seed(0)
out = {}
D = torch.float64


def put(prefix, **tensors):
    for k, v in tensors.items():
        out[f"{prefix}.{k}"] = v.detach().to(torch.float32).contiguous()


def rnd(*shape):
    return torch.randn(*shape, dtype=D)


def leaf(*shape):
    return rnd(*shape).requires_grad_()


# Convolutions ------------------------------------------------------------------------------------
def conv_case(name, x_shape, w_shape, bias, transposed=False, **kw):
    """Forward and all gradients of F.conv2d (or F.conv_transpose2d) with a random upstream gradient."""
    x, w = leaf(*x_shape), leaf(*w_shape)
    b = leaf(w_shape[1] if transposed else w_shape[0]) if bias else None
    y = (F.conv_transpose2d if transposed else F.conv2d)(x, w, b, **kw)
    gy = rnd(*y.shape)
    y.backward(gy)
    t = dict(x=x, w=w, y=y, gy=gy, gx=x.grad, gw=w.grad)
    if bias:
        t.update(b=b, gb=b.grad)
    put(name, **t)


conv_case("conv", (2, 4, 9, 9), (6, 4, 3, 3), True, stride=2, padding=1)
conv_case("conv_grouped", (2, 4, 8, 8), (6, 2, 3, 3), False, stride=1, padding=2, dilation=2, groups=2)
conv_case("conv_7x7", (2, 3, 16, 16), (8, 3, 7, 7), False, stride=2, padding=3)
conv_case("deconv", (2, 4, 5, 5), (4, 3, 3, 3), True, stride=2, padding=1, output_padding=1, transposed=True)
conv_case("deconv_s1", (2, 4, 5, 5), (4, 3, 3, 3), True, stride=1, padding=1, transposed=True)
conv_case("deconv_1x1", (2, 4, 5, 5), (4, 3, 1, 1), True, stride=2, output_padding=1, transposed=True)


# Batch norm ----------------------------------------------------------------------------------------
bn = torch.nn.BatchNorm2d(5).double()
with torch.no_grad():
    bn.weight.copy_(rnd(5)); bn.bias.copy_(rnd(5))
    bn.running_mean.copy_(rnd(5)); bn.running_var.copy_(rnd(5).abs() + 0.5)
rm0, rv0 = bn.running_mean.clone(), bn.running_var.clone()
x = leaf(4, 5, 3, 3)
y = bn(x)
gy = rnd(*y.shape)
y.backward(gy)
put("bn_train", x=x, gamma=bn.weight, beta=bn.bias, running_mean0=rm0, running_var0=rv0, y=y, gy=gy,
    gx=x.grad, ggamma=bn.weight.grad, gbeta=bn.bias.grad, running_mean=bn.running_mean, running_var=bn.running_var)
bn.eval()
x = rnd(3, 5, 4, 4)
put("bn_eval", x=x, gamma=bn.weight, beta=bn.bias, running_mean=bn.running_mean, running_var=bn.running_var, y=bn(x))

# Activations, pooling, linear, resize -------------------------------------------------------------
for name, fn in [("relu", torch.relu), ("tanh", torch.tanh), ("sigmoid", torch.sigmoid)]:
    x = leaf(2, 3, 4, 4)
    y = fn(x)
    gy = rnd(*y.shape)
    y.backward(gy)
    put(name, x=x, y=y, gy=gy, gx=x.grad)

for name, fn in [("maxpool", lambda t: F.max_pool2d(t, 3, 2, 1)),
                 ("avgpool", lambda t: F.avg_pool2d(t, 2, 2)),
                 ("gap", lambda t: F.adaptive_avg_pool2d(t, 1).flatten(1))]:
    x = leaf(2, 3, 9, 9)
    y = fn(x)
    gy = rnd(*y.shape)
    y.backward(gy)
    put(name, x=x, y=y, gy=gy, gx=x.grad)

x, w, b = leaf(5, 7), leaf(4, 7), leaf(4)
y = F.linear(x, w, b)
gy = rnd(*y.shape)
y.backward(gy)
put("linear", x=x, w=w, b=b, y=y, gy=gy, gx=x.grad, gw=w.grad, gb=b.grad)

for name, size in [("resize_up", (9, 11)), ("resize_down", (3, 4)), ("resize_2x", (10, 14))]:
    x = leaf(2, 3, 5, 7)
    y = F.interpolate(x, size=size, mode="bilinear", align_corners=False)
    gy = rnd(*y.shape)
    y.backward(gy)
    put(name, x=x, y=y, gy=gy, gx=x.grad)

# Losses ----------------------------------------------------------------------------------------------
p, t = leaf(3, 4, 5), rnd(3, 4, 5)
loss = F.mse_loss(p, t)
loss.backward()
put("mse", prediction=p, target=t, loss=loss.reshape(1), grad=p.grad)

logits = rnd(6, 4)
logq = torch.log_softmax(logits, 1).detach().requires_grad_()
target = torch.softmax(rnd(6, 4) * 2, 1)
target[0, 1] = 0  # exercise 0·log 0
for red in ["batchmean", "sum"]:
    logq.grad = None
    loss = F.kl_div(logq, target, reduction=red)
    loss.backward()
    put(f"kl_{red}", log_input=logq, target=target, loss=loss.reshape(1), grad=logq.grad)

logits = leaf(6, 4)
labels = torch.tensor([0, 3, 1, 1, 2, 0])
loss = F.cross_entropy(logits, labels)
loss.backward()
put("ce", logits=logits, labels=labels.to(D), loss=loss.reshape(1), grad=logits.grad)

# Optimizers: 5 steps on a fixed parameter with a fixed gradient sequence -------------------------
w0 = rnd(12)
grads = [rnd(12) for _ in range(5)]
put("opt", w0=w0, grads=torch.stack(grads))
configs = {
    "sgd": lambda p: torch.optim.SGD(p, lr=0.1),
    "sgd_momentum": lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=1e-2),
    "sgd_nesterov": lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3),
    "adam": lambda p: torch.optim.Adam(p, lr=1e-2, weight_decay=1e-3),
    "adamw": lambda p: torch.optim.AdamW(p, lr=1e-2, weight_decay=1e-2),
    "adadelta": lambda p: torch.optim.Adadelta(p, lr=0.1, weight_decay=1e-3),
    # Weight decay large enough that leaving it out, or applying Adam's decoupled (AdamW) instead of L2,
    # moves the parameters by 1e-3 relative, 100x the tests' tolerance (at the settings above, 1e-6–2e-5).
    "adadelta_wd": lambda p: torch.optim.Adadelta(p, lr=1.0, weight_decay=0.1),
    "adam_l2": lambda p: torch.optim.Adam(p, lr=1e-2, weight_decay=0.1),
}
for name, make in configs.items():
    w = torch.nn.Parameter(w0.clone().float())
    opt = make([w])
    for g in grads:
        w.grad = g.float().clone()
        opt.step()
    out[f"opt.{name}"] = w.detach().clone()

# A residual block in training mode (conv-bn-relu-conv-bn + 1x1 conv-bn shortcut, add, relu) --------
class Block(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(4, 8, 3, 2, 1, bias=False)
        self.bn1 = torch.nn.BatchNorm2d(8)
        self.conv2 = torch.nn.Conv2d(8, 8, 3, 1, 1, bias=False)
        self.bn2 = torch.nn.BatchNorm2d(8)
        self.down = torch.nn.Sequential(torch.nn.Conv2d(4, 8, 1, 2, bias=False), torch.nn.BatchNorm2d(8))

    def forward(self, x):
        y = self.bn2(self.conv2(torch.relu(self.bn1(self.conv1(x)))))
        return torch.relu(y + self.down(x))


blk = Block().double()
with torch.no_grad():
    for m in blk.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.weight.copy_(rnd(8) * 0.5 + 1); m.bias.copy_(rnd(8) * 0.1)
x = leaf(3, 4, 8, 8)
init = {k: v.clone() for k, v in blk.state_dict().items() if "num_batches" not in k}
y = blk(x)
gy = rnd(*y.shape)
y.backward(gy)
put("block", x=x, y=y, gy=gy, gx=x.grad, **{f"init.{k}": v for k, v in init.items()},
    **{f"grad.{k}": p.grad for k, p in blk.named_parameters()})

# A 3×3 stride-1 convolution on maps large enough for oneDNN's Winograd kernel (added last, so the
# random values of every case above stay as they were).
conv_case("conv_3x3_winograd", (2, 16, 12, 12), (32, 16, 3, 3), True, stride=1, padding=1)

# Halving resize (the decoder's last step), which the Swift side computes as a 2×2 average pool.
x = leaf(2, 3, 8, 12)
y = F.interpolate(x, size=(4, 6), mode="bilinear", align_corners=False)
gy = rnd(*y.shape)
y.backward(gy)
put("resize_half", x=x, y=y, gy=gy, gx=x.grad)

save_file(out, "Tests/ComputeTests/Fixtures/ops.safetensors")
print(f"wrote {len(out)} tensors")
