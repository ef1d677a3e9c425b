#!/usr/bin/env python3
"""Where a training step's time goes, from a JFR recording of `infopro bench step` (or any run).

Usage:
  java -XX:StartFlightRecording=settings=profile,filename=step.jfr -jar examples/target/infopro.jar bench step ...
  jfr print --json --stack-depth 64 --events jdk.ExecutionSample,jdk.NativeMethodSample step.jfr > step.json
  python3 benchmarks/jfr_breakdown.py step.json [THREAD]

Counts the samples of one thread (default: main). JFR's `profile` settings sample threads running Java code every
10 ms (jdk.ExecutionSample) and threads inside native code every 20 ms (jdk.NativeMethodSample), so a native sample
weighs 2. Each sample goes to the innermost frame that matches a category below (a libnd4j op called from a batch
norm layer counts as batch norm). Samples of network set-up (parameter init, the synthetic batch) are left out.
"""
import collections
import json
import sys

CATEGORIES = [  # (label, substring of a frame "package.Class.method"); the innermost matching frame wins
    ("setup (not a step)", "syntheticBatch"),
    ("setup (not a step)", "ParamInitializer"),
    ("setup (not a step)", "BenchNetworks.build"),
    ("DL4J updater: divide by minibatch", "divideByMinibatch"),
    ("TorchSgd updater", "TorchSgdUpdater"),
    ("NativeHeap.trim (malloc_trim)", "NativeHeap.trim"),
    ("finite-gradient scan (GraphModuleTrainer.nonFinite)", "GraphModuleTrainer.nonFinite"),
    ("coupled weight decay", "CoupledWeightDecay"),
    ("SupCon loss", "LossSupCon"),
    ("projection head (dense layers)", "DenseLayer"),
    ("bilinear upsampling (decoder)", "BilinearUpsampling2D"),
    ("BCE loss (decoder)", "LossBinaryCrossEntropy"),
    ("batch norm (oneDNN helper)", "MKLDNNBatchNormHelper"),
    ("batch norm (DL4J Java path)", "normalization.BatchNormalization."),
    ("convolution (oneDNN helper)", "MKLDNNConvHelper"),
    ("convolution (DL4J Java path)", "convolution.ConvolutionLayer."),
    ("pooling", "SubsamplingLayer"),
    ("global pooling", "GlobalPoolingLayer"),
    ("activation layers", "layers.ActivationLayer"),
    ("activation layers", "InPlaceReLULayer"),
    ("element-wise vertex (residual add)", "ElementWiseVertex"),
    ("element-wise vertex (residual add)", "InPlaceAddVertex"),
    ("output layer", "BaseOutputLayer"),
    ("DL4J updater (other)", "nn.updater."),
    ("cut activation copy", "CutCapture"),
    ("data pipeline (iterator)", "ImageDataSetIterator"),
    ("workspaces", "Workspace"),
]


def main(path, thread="main"):
    events = json.load(open(path))["recording"]["events"]
    by_cat, by_kind, total = collections.Counter(), collections.Counter(), 0
    for e in events:
        v = e["values"]
        t = v.get("sampledThread") or {}
        if (t.get("javaName") or t.get("osName")) != thread:
            continue
        frames = v["stackTrace"]["frames"] if v.get("stackTrace") else []
        names = [f["method"]["type"]["name"].replace("/", ".") + "." + f["method"]["name"] for f in frames]
        w = 2 if e["type"] == "jdk.NativeMethodSample" else 1
        cat = next((label for n in names for label, key in CATEGORIES if key in n), "other")
        by_cat[cat] += w
        if cat != "setup (not a step)":
            total += w
            by_kind[e["type"]] += w
    by_cat.pop("setup (not a step)", None)
    print(f"{path}: thread {thread}, {total} x 10 ms; in Java code (not native): "
          f"{100 * by_kind['jdk.ExecutionSample'] / max(total, 1):.1f}%")
    for label, w in by_cat.most_common():
        print(f"{100 * w / total:5.1f}%  {label}")


if __name__ == "__main__":
    main(*sys.argv[1:])
