#!/usr/bin/env python3
"""The peer for `kws bench --peer pytorch`: training throughput of the same zoo models in PyTorch on the CPU.

DS-CNN, CNN and DNN are built as src/models/build builds them: the same layer shapes, TF's SAME
padding (asymmetric where TF's is), biases on every conv and dense layer, batch norm after each
convolution (DS-CNN: slim's beta-only batch norm, eps 1e-3, decay 0.96; CNN: gamma and beta, eps
1e-3, momentum 0.99), ReLU after it, and Adam with TF1's defaults (beta 0.9 / 0.999, eps 1e-8) on
the mean softmax cross-entropy. Input is random, as in `kws bench`'s compute figure.

    python3 scripts/bench-pytorch.py --model ds_cnn --size-info 5 64 10 4 2 2 ... [--steps 20] [--threads 2]
    python3 scripts/bench-pytorch.py --serve     # one JSON request per stdin line, one JSON result per stdout line

A request is {"architecture", "modelSizeInfo", "frames", "coefficients", "labels", "batch", "steps",
"warmup", "threads"}; the result {"samples_per_s", "cpu_samples_per_s", "torch"}. Needs python3-torch
(Debian) or any PyTorch; kws runs it only when `import torch` works.
"""

import argparse
import json
import math
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def same_padding(size, kernel, stride):
    """TF's SAME padding along one axis: (before, after), the extra row after."""
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2, out


class Conv(nn.Module):
    """A TF-style conv: VALID, or SAME with TF's (possibly asymmetric) padding."""

    def __init__(self, cin, cout, kernel, stride, same, size, groups=1):
        super().__init__()
        (top, bottom, out_h), (left, right, out_w) = (
            (same_padding(size[0], kernel[0], stride[0]), same_padding(size[1], kernel[1], stride[1]))
            if same
            else ((0, 0, (size[0] - kernel[0]) // stride[0] + 1), (0, 0, (size[1] - kernel[1]) // stride[1] + 1))
        )
        symmetric = top == bottom and left == right
        self.pad = None if symmetric else (left, right, top, bottom)
        self.conv = nn.Conv2d(cin, cout, kernel, stride, padding=(top, left) if symmetric else 0, groups=groups)
        self.out = (out_h, out_w)

    def forward(self, x):
        return self.conv(x if self.pad is None else F.pad(x, self.pad))


def batch_norm(channels, momentum, scale, dims=2):
    """Keras momentum m is PyTorch's 1 − m; without scale, gamma stays 1 and is not trained (slim's beta-only norm)."""
    norm = (nn.BatchNorm2d if dims == 2 else nn.BatchNorm1d)(channels, eps=1e-3, momentum=1 - momentum)
    if not scale:
        norm.weight.requires_grad_(False)
    return norm


class DsCnn(nn.Module):
    def __init__(self, size_info, frames, coefficients, labels):
        super().__init__()
        count = size_info[0]
        groups = [size_info[1 + 5 * i : 6 + 5 * i] for i in range(count)]
        size = (frames, coefficients)
        layers = []
        cin = 1
        for i, (channels, kt, kf, st, sf) in enumerate(groups):
            if i == 0:
                conv = Conv(cin, channels, (kt, kf), (st, sf), True, size)
                layers += [conv, batch_norm(channels, 0.96, False), nn.ReLU()]
            else:
                depthwise = Conv(cin, cin, (kt, kf), (st, sf), True, size, groups=cin)
                conv = Conv(cin, channels, (1, 1), (1, 1), True, depthwise.out)
                layers += [depthwise, batch_norm(cin, 0.96, False), nn.ReLU()]
                layers += [conv, batch_norm(channels, 0.96, False), nn.ReLU()]
            size = conv.out
            cin = channels
        self.body = nn.Sequential(*layers)
        self.fc = nn.Linear(cin, labels)
        self.shape = (1, frames, coefficients)

    def forward(self, x):
        x = self.body(x.view(-1, *self.shape))
        return self.fc(x.mean(dim=(2, 3)))


class Cnn(nn.Module):
    def __init__(self, size_info, frames, coefficients, labels):
        super().__init__()
        c1, kt1, kf1, st1, sf1, c2, kt2, kf2, st2, sf2, linear, fc = size_info
        conv1 = Conv(1, c1, (kt1, kf1), (st1, sf1), False, (frames, coefficients))
        conv2 = Conv(c1, c2, (kt2, kf2), (st2, sf2), False, conv1.out)
        self.convs = nn.Sequential(
            conv1, batch_norm(c1, 0.99, True), nn.ReLU(), conv2, batch_norm(c2, 0.99, True), nn.ReLU()
        )
        flat = c2 * conv2.out[0] * conv2.out[1]
        self.head = nn.Sequential(
            nn.Linear(flat, linear), nn.Linear(linear, fc), batch_norm(fc, 0.99, True, dims=1), nn.ReLU(), nn.Linear(fc, labels)
        )
        self.shape = (1, frames, coefficients)

    def forward(self, x):
        return self.head(torch.flatten(self.convs(x.view(-1, *self.shape)), 1))


class Dnn(nn.Module):
    def __init__(self, size_info, frames, coefficients, labels):
        super().__init__()
        layers = []
        width = frames * coefficients
        for units in size_info:
            layers += [nn.Linear(width, units), nn.ReLU()]
            width = units
        self.body = nn.Sequential(*layers, nn.Linear(width, labels))

    def forward(self, x):
        return self.body(x)


MODELS = {"ds_cnn": DsCnn, "cnn": Cnn, "dnn": Dnn}


def measure(request):
    torch.set_num_threads(request.get("threads", 2))
    torch.manual_seed(1)
    model = MODELS[request["architecture"]](
        request["modelSizeInfo"], request["frames"], request["coefficients"], request["labels"]
    )
    optimizer = torch.optim.Adam(
        [p for p in model.parameters() if p.requires_grad], lr=1e-4, betas=(0.9, 0.999), eps=1e-8
    )
    batch = request.get("batch", 100)
    x = torch.randn(batch, request["frames"] * request["coefficients"]) * 10
    y = torch.randint(0, request["labels"], (batch,))
    model.train()

    def step():
        optimizer.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), y).backward()
        optimizer.step()

    for _ in range(request.get("warmup", 3)):
        step()
    steps = request.get("steps", 20)
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(steps):
        step()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {
        "samples_per_s": round(steps * batch / wall),
        "cpu_samples_per_s": round(steps * batch / cpu),
        "torch": torch.__version__,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--serve", action="store_true", help="answer JSON requests on stdin, one per line")
    parser.add_argument("--model", choices=sorted(MODELS), default="ds_cnn")
    parser.add_argument(
        "--size-info",
        type=int,
        nargs="+",
        default=[5, 64, 10, 4, 2, 2, 64, 3, 3, 1, 1, 64, 3, 3, 1, 1, 64, 3, 3, 1, 1, 64, 3, 3, 1, 1],
    )
    parser.add_argument("--frames", type=int, default=49)
    parser.add_argument("--coefficients", type=int, default=10)
    parser.add_argument("--labels", type=int, default=12)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    if args.serve:
        for line in sys.stdin:
            if line.strip():
                print(json.dumps(measure(json.loads(line))), flush=True)
        return
    request = {
        "architecture": args.model,
        "modelSizeInfo": args.size_info,
        "frames": args.frames,
        "coefficients": args.coefficients,
        "labels": args.labels,
        "batch": args.batch,
        "steps": args.steps,
        "warmup": args.warmup,
        "threads": args.threads,
    }
    print(json.dumps(measure(request)))


if __name__ == "__main__":
    main()
