#!/usr/bin/env python3
"""Developer-time tool: PyTorch reference values for the contrastive ops (L2 normalisation, NT-Xent) and the
SCAN loss.

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

save_file(out, "Tests/ComputeTests/Fixtures/contrastive.safetensors")
print(f"wrote {len(out)} tensors")
