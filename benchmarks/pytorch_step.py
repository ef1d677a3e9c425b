#!/usr/bin/env python3
"""PyTorch twin of `infopro bench step`: median time of one training step of a CIFAR ResNet on random data,
end to end or InfoPro (Contrast) with K local modules, for side-by-side ratios (benchmarks/side_by_side.sh).

Same networks and heads as the library (docs/method.md §2): ResNet-(6n+2) with conv1x1+BN projection shortcuts;
on every local module a decoder (bilinear upsampling with align_corners, conv3x3 C->12 + BN + ReLU, conv3x3 -> C,
sigmoid, BCE against the input in [0, 1]) and a 1c2f projection head (conv3x3 stride 2 or 1, BN, ReLU, GAP,
FC->128, ReLU, FC->128, SupCon with tau 0.07), lambdas 5 and 1; SGD with Nesterov momentum 0.9, lr 0.1 and weight
decay 1e-4 on every parameter. Needs Debian's python3-torch; never run in CI.

Usage: pytorch_step.py --depth 20 --input 1x28x28 --batch 128 --method e2e|infopro-contrast --k 4 --steps 8 --warmup 2
"""
import argparse, json, resource, statistics, time

import torch
import torch.nn as nn
import torch.nn.functional as F

# the library's presets (CutPresets): ResNet-20 split evenly, ResNet-110 the paper's table
CUTS = {(20, 2): ["s2b0"], (20, 4): ["s1b1", "s2b0", "s2b2"],
        (110, 2): ["s2b8"], (110, 4): ["s1b11", "s2b7", "s3b3"]}


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.c1, self.b1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout)
        self.c2, self.b2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout)
        self.sc = None if stride == 1 and cin == cout else nn.Sequential(
            nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = self.b2(self.c2(F.relu(self.b1(self.c1(x)))))
        return F.relu(y + (x if self.sc is None else self.sc(x)))


def backbone(depth, channels, classes):
    n = (depth - 2) // 6
    layers = [("stem", nn.Sequential(nn.Conv2d(channels, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU()))]
    cin = 16
    for s, cout in enumerate([16, 32, 64], start=1):
        for b in range(n):
            layers.append((f"s{s}b{b}", Block(cin, cout, 2 if b == 0 and s > 1 else 1)))
            cin = cout
    layers.append(("head", nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, classes))))
    return layers


class Decoder(nn.Module):
    def __init__(self, cin, cout, size):
        super().__init__()
        self.size = size
        self.net = nn.Sequential(nn.Conv2d(cin, 12, 3, 1, 1), nn.BatchNorm2d(12), nn.ReLU(),
                                 nn.Conv2d(12, cout, 3, 1, 1), nn.Sigmoid())

    def forward(self, h):
        return self.net(F.interpolate(h, size=self.size, mode="bilinear", align_corners=True))


class Projection(nn.Module):
    def __init__(self, cin):
        super().__init__()
        cout, stride = (64, 1) if cin == 64 else (2 * cin, 2)
        self.net = nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(),
                                 nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(cout, 128), nn.ReLU(),
                                 nn.Linear(128, 128))

    def forward(self, h):
        return F.normalize(self.net(h), dim=1, eps=1e-12)


def supcon(z, y, tau=0.07):
    n = z.shape[0]
    s = z @ z.t() / tau
    s = s - s.max(dim=1, keepdim=True).values.detach()
    eye = torch.eye(n, dtype=torch.bool)
    pos = (y[:, None] == y[None, :]) & ~eye
    log_den = torch.logsumexp(s.masked_fill(eye, float("-inf")), dim=1, keepdim=True)
    per = -((s - log_den) * pos).sum(1) / pos.sum(1).clamp(min=1)
    return per.mean()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--depth", type=int, default=20)
    p.add_argument("--input", default="1x28x28")
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--method", default="e2e", choices=["e2e", "infopro-contrast"])
    p.add_argument("--k", type=int, default=1)
    p.add_argument("--steps", type=int, default=8)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    if (a.method == "e2e") != (a.k == 1) or (a.k > 1 and (a.depth, a.k) not in CUTS):
        p.error("--method e2e needs --k 1; infopro-contrast needs a K with preset cuts: %s" % sorted(CUTS))
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    c, h, w = (int(v) for v in a.input.split("x"))
    layers = backbone(a.depth, c, 10)
    cuts = CUTS.get((a.depth, a.k), [])
    modules, cur = [], []
    for name, m in layers:
        cur.append(m)
        if name in cuts:
            modules.append(nn.Sequential(*cur)); cur = []
    modules.append(nn.Sequential(*cur))
    channels = {"s1": 16, "s2": 32, "s3": 64}
    heads = [(Decoder(channels[cut[:2]], c, (h, w)), Projection(channels[cut[:2]])) for cut in cuts]
    params = [q for m in modules for q in m.parameters()] + [q for d, pr in heads for q in
                                                             list(d.parameters()) + list(pr.parameters())]
    opt = torch.optim.SGD(params, lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-4)
    x = torch.rand(a.batch, c, h, w)
    y = torch.arange(a.batch) % 10
    x01 = x  # random inputs already in [0, 1]

    def step():
        opt.zero_grad(set_to_none=True)
        hk = x
        for i, m in enumerate(modules):
            hk = m(hk.detach())
            if i < len(heads):
                d, pr = heads[i]
                loss = 5 * F.binary_cross_entropy(d(hk), x01) + 1 * supcon(pr(hk), y)
            else:
                loss = F.cross_entropy(hk, y)
            loss.backward()
        opt.step()

    for _ in range(a.warmup):
        step()
    ms = []
    for _ in range(a.steps):
        t0 = time.perf_counter(); step(); ms.append((time.perf_counter() - t0) * 1000)
    print(json.dumps({"framework": "pytorch " + torch.__version__, "arch": f"resnet{a.depth}", "input": a.input,
                      "batch": a.batch, "method": a.method, "k": a.k, "cuts": cuts,
                      "median_step_ms": round(statistics.median(ms), 1), "min_step_ms": round(min(ms), 1),
                      "threads": a.threads,
                      "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}))


if __name__ == "__main__":
    main()
