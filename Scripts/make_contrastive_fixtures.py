#!/usr/bin/env python3
"""Developer-time tool: PyTorch reference values for the contrastive ops (L2 normalisation, NT-Xent), BYOL's
loss, moving average and momentum schedule, BatchNorm1d, the SCAN loss and its self-labelling loss.

    python3 Scripts/make_contrastive_fixtures.py   # writes Tests/ComputeTests/Fixtures/contrastive.safetensors

Float64 references stored as float32, as for make_compute_fixtures.py.
"""
import torch
import torch.nn.functional as F
from safetensors.torch import save_file

torch.manual_seed(0)
D = torch.float64
out = {}


def put(prefix, **tensors):
    for k, v in tensors.items():
        out[f"{prefix}.{k}"] = v.detach().to(torch.float32).contiguous()


# F.normalize(x, dim=1) and its gradient; one row is tiny, so eps matters there.
x = torch.randn(6, 5, dtype=D)
x[3] *= 1e-14
x.requires_grad_()
y = F.normalize(x, dim=1)
gy = torch.randn_like(y)
y.backward(gy)
put("l2norm", x=x, y=y, gy=gy, gx=x.grad)


def nt_xent(z, tau):
    """SimCLR's NT-Xent: rows i and i+N are the two views of one image; the loss is the mean over all 2N rows
    of the cross-entropy of row i's similarities (self excluded) with its partner as the target."""
    n2 = z.shape[0]
    n = n2 // 2
    sim = z @ z.t() / tau
    sim = sim.masked_fill(torch.eye(n2, dtype=torch.bool), float("-inf"))
    target = torch.cat([torch.arange(n, n2), torch.arange(0, n)])
    return F.cross_entropy(sim, target)


for name, n, d, tau in [("ntxent", 4, 6, 0.5), ("ntxent_cold", 8, 16, 0.1)]:
    raw = torch.randn(2 * n, d, dtype=D)
    z = F.normalize(raw, dim=1).detach().requires_grad_()
    loss = nt_xent(z, tau)
    loss.backward()
    put(name, z=z, loss=loss.reshape(1), gz=z.grad, tau=torch.tensor([tau], dtype=D))


def scan_loss(logits, neighbour_logits, entropy_weight):
    """SCAN (Van Gansbeke et al. 2020): −mean log ⟨p_i, p_j⟩ over (image, neighbour) pairs, minus
    entropy_weight × the entropy of the mean prediction."""
    p = F.softmax(logits, dim=1)
    pn = F.softmax(neighbour_logits, dim=1)
    consistency = -torch.log((p * pn).sum(1)).mean()
    mean = p.mean(0)
    entropy = -(mean * torch.log(mean.clamp_min(1e-8))).sum()
    return consistency - entropy_weight * entropy, consistency, entropy


logits = torch.randn(10, 4, dtype=D, requires_grad=True)
neighbours = torch.randn(10, 4, dtype=D, requires_grad=True)
total, consistency, entropy = scan_loss(logits, neighbours, 5.0)
total.backward()
put("scan", logits=logits, neighbours=neighbours, loss=total.reshape(1), consistency=consistency.reshape(1),
    entropy=entropy.reshape(1), glogits=logits.grad, gneighbours=neighbours.grad)


def byol_loss(p, z):
    """BYOL (Grill et al. 2020): rows i and i+N are the two views; each prediction meets the other view's target
    projection, 2 - 2 cos, each direction a batch mean, the two directions summed."""
    n = p.shape[0] // 2
    def one(a, b):
        return (2 - 2 * (F.normalize(a, dim=1) * F.normalize(b, dim=1)).sum(1)).mean()
    return one(p[:n], z[n:]) + one(p[n:], z[:n])


p = torch.randn(10, 7, dtype=D, requires_grad=True)
z = torch.randn(10, 7, dtype=D)
loss = byol_loss(p, z)
loss.backward()
put("byol", p=p, z=z, loss=loss.reshape(1), gp=p.grad)

# The target network's moving average (t.mul_(m).add_(o, alpha=1-m)) and BYOL's momentum schedule.
target = torch.randn(3, 4, dtype=D)
online = torch.randn(3, 4, dtype=D)
updated = target.clone().mul_(0.99).add_(online, alpha=1 - 0.99)
put("ema", target=target, online=online, updated=updated)
import math
steps = torch.tensor([1 - (1 - 0.99) * (math.cos(math.pi * k / 40) + 1) / 2 for k in (0, 10, 20, 40)], dtype=D)
put("ema", schedule=steps)

# nn.BatchNorm1d in training mode: output, running statistics after one step, gradients.
bn = torch.nn.BatchNorm1d(5).double()
with torch.no_grad():
    bn.weight.copy_(torch.randn(5, dtype=D))
    bn.bias.copy_(torch.randn(5, dtype=D))
x = (torch.randn(8, 5, dtype=D) * 3 + 1).requires_grad_()
y = bn(x)
gy = torch.randn_like(y)
y.backward(gy)
put("bn1d", x=x, weight=bn.weight, bias=bn.bias, y=y, gy=gy, gx=x.grad, gweight=bn.weight.grad, gbias=bn.bias.grad,
    running_mean=bn.running_mean, running_var=bn.running_var)

# SCAN's self-labelling loss: cross-entropy on the confident images' pseudo-labels, each class weighted by the
# inverse of its share among them (as the reference's ConfidenceBasedCE).
logits = torch.randn(9, 3, dtype=D, requires_grad=True)
targets = torch.tensor([0, 0, 0, 0, 0, 1, 1, 2, 0])
counts = torch.bincount(targets, minlength=3).to(D)
weights = targets.numel() / counts
loss = F.cross_entropy(logits, targets, weight=weights)
loss.backward()
put("selflabel", logits=logits, targets=targets.to(D), weights=weights, loss=loss.reshape(1), glogits=logits.grad)

save_file(out, "Tests/ComputeTests/Fixtures/contrastive.safetensors")
print(f"wrote {len(out)} tensors")
