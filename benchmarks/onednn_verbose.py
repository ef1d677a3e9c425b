#!/usr/bin/env python3
"""Sums oneDNN's verbose log (DNNL_VERBOSE=1 or ONEDNN_VERBOSE=1) per primitive kind and, for reorders, per layout
change and shape. Works on the logs of ND4J's oneDNN 2.3 (``dnnl_verbose,exec,...``) and PyTorch's 2.6
(``onednn_verbose,exec,...``); the last field of each line is the execution time in ms.

    DNNL_VERBOSE=1 java -jar examples/target/infopro.jar bench step ... > ours.log
    ONEDNN_VERBOSE=1 /usr/bin/python3 benchmarks/pytorch_step.py ... > torch.log
    python3 benchmarks/onednn_verbose.py ours.log [steps]

With ``steps`` (the number of training steps the log covers, warm-up included) it also prints milliseconds per step.
"""
import collections
import sys


def main(path, steps):
    kinds = collections.defaultdict(lambda: [0.0, 0])
    reorders = collections.defaultdict(lambda: [0.0, 0])
    with open(path, errors="replace") as f:
        for line in f:
            fields = line.rstrip("\n").split(",")
            if len(fields) < 6 or not fields[0].endswith("_verbose") or fields[1] != "exec":
                continue
            ms = float(fields[-1])
            kind = fields[3] + " " + fields[5] + " (" + fields[4] + ")"
            kinds[kind][0] += ms
            kinds[kind][1] += 1
            if fields[3] == "reorder":
                layouts = " -> ".join(p.split(":")[-2] for p in fields[6].split(" ")[:2])
                key = layouts + " " + fields[-2]
                reorders[key][0] += ms
                reorders[key][1] += 1
    total = sum(v[0] for v in kinds.values())
    per = f", {total / steps:.1f} ms per step" if steps else ""
    print(f"{path}: {total:.1f} ms in oneDNN primitives{per}")
    for kind, (ms, n) in sorted(kinds.items(), key=lambda kv: -kv[1][0]):
        per = f" {ms / steps:8.1f} ms/step" if steps else ""
        print(f"  {ms:9.1f} ms {n:6d} calls{per}  {kind}")
    print("  reorders by layout change and shape:")
    for key, (ms, n) in sorted(reorders.items(), key=lambda kv: -kv[1][0])[:12]:
        print(f"  {ms:9.1f} ms {n:6d} calls ({ms / n:.2f} ms each)  {key}")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 0)
