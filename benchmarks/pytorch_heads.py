#!/usr/bin/python3
"""One training step of InfoPro (Contrast)'s two heads alone, the twin of benchmarks/HeadsStep.java: decoder with
BCE and 1c2f projection head with SupCon (lambdas 5 and 1) on a random cut activation, batch 128, 2 threads.

Usage: pytorch_heads.py CxHxW IMAGE [steps] [both|decoder|projection] [warm-up, default 100, as HeadsStep.java]
    e.g. pytorch_heads.py 16x28x28 1x28x28 10
"""
import json
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from pytorch_step import Decoder, Projection, supcon  # noqa: E402

torch.set_num_threads(2)
torch.manual_seed(1)
c, h, w = (int(v) for v in sys.argv[1].split("x"))
ic, ih, iw = (int(v) for v in sys.argv[2].split("x"))
steps = int(sys.argv[3]) if len(sys.argv) > 3 else 10
which = sys.argv[4] if len(sys.argv) > 4 else "both"
warmup = int(sys.argv[5]) if len(sys.argv) > 5 else 100
dec, proj = Decoder(c, ic, (ih, iw)), Projection(c)
opt = torch.optim.SGD(list(dec.parameters()) + list(proj.parameters()), lr=0.1, momentum=0.9, nesterov=True)
# the cut activation needs its gradient, as in a real step, where it flows on into the module (HeadsStep.java
# computes it too)
x = torch.rand(128, c, h, w, requires_grad=True)
image, y = torch.rand(128, ic, ih, iw), torch.arange(128) % 10


def step():
    opt.zero_grad(set_to_none=True)
    x.grad = None
    loss = 0
    if which != "projection":
        loss = loss + 5 * F.binary_cross_entropy(dec(x), image)
    if which != "decoder":
        loss = loss + supcon(proj(x), y)
    loss.backward()
    opt.step()


ms = []
for i in range(steps + warmup):
    t0 = time.perf_counter()
    step()
    if i >= warmup:
        ms.append((time.perf_counter() - t0) * 1000)
ms.sort()
print(json.dumps({"framework": "pytorch " + torch.__version__, "cut": sys.argv[1], "heads": which,
                  "median_step_ms": round(ms[len(ms) // 2], 1), "min_step_ms": round(ms[0], 1)}))
