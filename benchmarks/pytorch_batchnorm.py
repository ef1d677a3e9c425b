#!/usr/bin/env python3
"""PyTorch twin of benchmarks/BatchNormKernelsBench.java: one BatchNorm2d layer in training mode on a float
[128, C, H, W] tensor, the forward pass and the backward pass, 20 calls each per round, 20 rounds, 2 threads; prints the
fastest round in ms per call. Needs Debian's python3-torch; never run in CI.

Usage: pytorch_batchnorm.py [C] [H=W]   (defaults: 16 28, the first stage of ResNet-20 on 1x28x28)
"""
import sys, time

import torch


def main():
    c = int(sys.argv[1]) if len(sys.argv) > 1 else 16
    hw = int(sys.argv[2]) if len(sys.argv) > 2 else 28
    torch.set_num_threads(2)
    bn = torch.nn.BatchNorm2d(c)
    x = torch.rand(128, c, hw, hw, requires_grad=True)
    g = torch.rand(128, c, hw, hw)
    best_f = best_b = float("inf")
    for _ in range(20):
        t = time.perf_counter()
        for _ in range(20):
            y = bn(x)
        best_f = min(best_f, (time.perf_counter() - t) / 20)
        t = time.perf_counter()
        for _ in range(20):
            x.grad = None
            y.backward(g, retain_graph=True)
        best_b = min(best_b, (time.perf_counter() - t) / 20)
    print(f"fastest of 20 rounds, [128, {c}, {hw}, {hw}]: forward {best_f * 1e3:.2f} ms, backward {best_b * 1e3:.2f} ms")


if __name__ == "__main__":
    main()
