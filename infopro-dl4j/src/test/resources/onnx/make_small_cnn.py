"""Writes the small_cnn*.onnx models and the PyTorch reference values that OnnxImportedGraphTest checks.

How it was run (from this directory), with Debian's python3-torch 1.13.0 (no `onnx` python package needed):

    /usr/bin/python3 make_small_cnn.py

The model: conv3x3(1->8)+ReLU; a residual block (conv3x3+ReLU+conv3x3, add the skip, ReLU); conv3x3 stride 2
(8->16)+ReLU; global average pool; flatten; linear(16->10). Input "x" [N,1,12,12] (dynamic N), output "logits"
[N,10], ONNX opset 13. It is exported three times, with the same weights, differing only in how the classifier is
written (ND4J 1.0.0-M2.1's ONNX importer gets the usual two forms wrong, see OnnxImportedGraphTest):

  small_cnn.onnx         nn.Linear on [N,16]: ONNX Gemm. Imported, the bias C is dropped (and the op has no gradient).
  small_cnn_matmul.onnx  x @ W^T + b: ONNX Transpose + MatMul + Add. Imported, the MatMul computes zeros (alpha 0).
                         Exported without constant folding: folded, W^T is stored as an initializer named
                         "onnx::MatMul_<n>", and the importer fails on names with ':' ("No variable name found").
  small_cnn_conv.onnx    the linear layer as a 1x1 conv on the pooled [N,16,1,1] map, then flatten: ONNX Conv +
                         Flatten. Imported correctly.
  small_cnn_ref.json     a fixed input [4,1,12,12] and the PyTorch logits [4,10] it gives (float32 values); the
                         three exports compute the same logits in PyTorch.
"""
import json
import os

import torch
import torch.nn as nn

SEED = 20261130
torch.manual_seed(SEED)


class SmallCnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(1, 8, 3, padding=1)
        self.res1 = nn.Conv2d(8, 8, 3, padding=1)
        self.res2 = nn.Conv2d(8, 8, 3, padding=1)
        self.down = nn.Conv2d(8, 16, 3, stride=2, padding=1)
        self.pool = nn.AdaptiveAvgPool2d(1)  # exported as GlobalAveragePool
        self.fc = nn.Linear(16, 10)
        # fc as a 1x1 conv, same weights; a module of its own so that its weights are initializers named
        # "fc1x1.weight"/"fc1x1.bias" (reshaping fc.weight in forward would fold into one named "onnx::Conv_<n>").
        self.fc1x1 = nn.Conv2d(16, 10, 1)
        with torch.no_grad():
            self.fc1x1.weight.copy_(self.fc.weight[:, :, None, None])
            self.fc1x1.bias.copy_(self.fc.bias)
        self.head = "gemm"  # how the classifier is written: "gemm", "matmul" or "conv"

    def forward(self, x):
        x = torch.relu(self.stem(x))
        y = torch.relu(self.res1(x))
        y = self.res2(y)
        x = torch.relu(x + y)
        x = torch.relu(self.down(x))
        x = self.pool(x)
        if self.head == "conv":
            return torch.flatten(self.fc1x1(x), 1)
        x = torch.flatten(x, 1)
        if self.head == "matmul":
            return torch.matmul(x, self.fc.weight.t()) + self.fc.bias
        return self.fc(x)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    model = SmallCnn().eval()
    x = torch.randn(4, 1, 12, 12)
    with torch.no_grad():
        logits = model(x)
    for head, name in (("gemm", "small_cnn.onnx"), ("matmul", "small_cnn_matmul.onnx"),
                       ("conv", "small_cnn_conv.onnx")):
        model.head = head
        with torch.no_grad():
            assert torch.allclose(model(x), logits, atol=1e-6), head
        torch.onnx.export(
            model, x, os.path.join(here, name),
            input_names=["x"], output_names=["logits"],
            dynamic_axes={"x": {0: "N"}, "logits": {0: "N"}},
            opset_version=13, do_constant_folding=head != "matmul")
    with open(os.path.join(here, "small_cnn_ref.json"), "w") as f:
        json.dump({
            "torch": torch.__version__,
            "seed": SEED,
            "inputShape": list(x.shape),
            "input": [float(v) for v in x.flatten().tolist()],
            "logitsShape": list(logits.shape),
            "logits": [float(v) for v in logits.flatten().tolist()],
        }, f)
        f.write("\n")


if __name__ == "__main__":
    main()
