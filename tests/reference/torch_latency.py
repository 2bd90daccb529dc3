#!/usr/bin/env python3
"""Time the same networks in PyTorch as a reference framework for
`profiler measure --backend cuda`, and compare the two.

The networks come from latscope's own IR, so both sides run exactly the
same layers:

    profiler export-ir -s nb201 --from-dataset h100.csv -o nets.jsonl
    python3 tests/reference/torch_latency.py --ir nets.jsonl --batch 32 \
        --precision fp32 --out torch_h100_fp32_b32.csv \
        --compare h100.csv --compare-device h100_fp32_b32

It writes a long latency CSV (the same columns latscope writes, device
`torch_<gpu>_<precision>_b<batch>`, `..._eager` with --timing eager) and,
with --compare, prints Spearman's rho between the two and the ratio of
their medians, with both sides' cuDNN versions. The script mirrors the
frameworks' usual inference set-up: eval mode, no autograd,
cudnn.benchmark on, TF32 off for fp32 (latscope's fp32 is true fp32),
half precision in channels-last for fp16. Each timed run is one forward
pass between two CUDA events, at least --runs runs and --min-time-ms of
GPU time, as in latscope. `--timing graph` (the default, like latscope's
datasets) captures the forward pass into a CUDA graph after a warm-up on a
side stream and times its replays: on these small networks eager mode is
bound by launches on both sides and says more about host overhead than
about kernels. A `zero` edge is `x.mul(0.)`, as in NAS-Bench-201's own
code.
"""

import argparse
import csv
import gzip
import json
import statistics
import sys

import torch
from torch import nn


class Net(nn.Module):
    """Runs a latscope IR network node by node."""

    def __init__(self, ir):
        super().__init__()
        self.nodes = ir["nodes"]
        self.output = ir["output"]
        self.layers = nn.ModuleList()
        self.index = {}
        shapes = [n["shape"] for n in self.nodes]
        for i, node in enumerate(self.nodes):
            op = node["op"]
            kind = op["op"]
            src = shapes[node["inputs"][0]] if node["inputs"] else None
            layer = None
            if kind == "conv2d":
                layer = nn.Conv2d(src["channels"], op["out_channels"], op["kernel"],
                                  op["stride"], op["padding"], groups=op["groups"], bias=op["bias"])
            elif kind == "batch_norm":
                layer = nn.BatchNorm2d(src["channels"])
            elif kind == "activation":
                layer = {"relu": nn.ReLU, "relu6": nn.ReLU6, "h_swish": nn.Hardswish}[op["kind"]]()
            elif kind == "avg_pool":
                layer = nn.AvgPool2d(op["kernel"], op["stride"], op["padding"],
                                     count_include_pad=op["count_include_pad"])
            elif kind == "max_pool":
                layer = nn.MaxPool2d(op["kernel"], op["stride"], op["padding"])
            elif kind == "linear":
                features = src["channels"] * src["height"] * src["width"]
                layer = nn.Linear(features, op["out_features"], bias=op["bias"])
            if layer is not None:
                self.index[i] = len(self.layers)
                self.layers.append(layer)

    def forward(self, x):
        values = [x]
        for i, node in enumerate(self.nodes[1:], start=1):
            kind = node["op"]["op"]
            ins = [values[j] for j in node["inputs"]]
            if i in self.index:
                layer = self.layers[self.index[i]]
                v = layer(torch.flatten(ins[0], 1)) if kind == "linear" else layer(ins[0])
            elif kind == "global_avg_pool":
                v = torch.nn.functional.adaptive_avg_pool2d(ins[0], 1)
            elif kind == "add":
                v = ins[0]
                for other in ins[1:]:
                    v = v + other
            elif kind == "identity":
                v = ins[0]
            elif kind == "zero":
                v = ins[0].mul(0.0)
            elif kind == "channel_shuffle":
                g = node["op"]["groups"]
                n, c, h, w = ins[0].shape
                v = ins[0].reshape(n, g, c // g, h, w).transpose(1, 2).reshape(n, c, h, w)
            else:
                raise ValueError(f"node {node['name']}: unknown op {kind!r}")
            if v.dim() == 2 and kind == "linear":
                v = v[:, :, None, None]
            values.append(v)
        return values[self.output]


def time_network(ir, batch, precision, timing, warmup, runs, min_time_ms):
    net = Net(ir).cuda().eval()
    shape = ir["nodes"][0]["shape"]
    x = torch.randn(batch, shape["channels"], shape["height"], shape["width"], device="cuda")
    if precision == "fp16":
        net = net.half().to(memory_format=torch.channels_last)
        x = x.half().contiguous(memory_format=torch.channels_last)
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    times = []
    with torch.no_grad():
        # Warm-up on a side stream, as CUDA-graph capture requires (and
        # cudnn.benchmark picks its algorithms here, not during capture).
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            for _ in range(max(warmup, 1)):
                net(x)
        torch.cuda.current_stream().wait_stream(side)
        if timing == "graph":
            graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(graph):
                net(x)
            step = graph.replay
        else:
            step = lambda: net(x)
        for _ in range(max(warmup, 1)):
            step()
        torch.cuda.synchronize()
        # As latscope: at least `runs` runs and `min_time_ms` of GPU time,
        # at most 100 x runs.
        while len(times) < 100 * runs and (len(times) < runs or sum(times) < min_time_ms):
            start.record()
            step()
            end.record()
            end.synchronize()
            times.append(start.elapsed_time(end))
    times.sort()
    q = lambda p: times[min(len(times) - 1, int(round(p * (len(times) - 1))))]
    return statistics.median(times), q(0.1), q(0.9), len(times)


def read_long_csv(path, device):
    """{arch: latency_ms} of `device`'s rows, and the sources they name."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", newline="") as f:
        rows = [row for row in csv.DictReader(f) if device is None or row["device"] == device]
    return {row["arch"]: float(row["latency_ms"]) for row in rows}, sorted({row.get("source") or "" for row in rows})


def ranks(values):
    order = sorted(range(len(values)), key=lambda i: values[i])
    r = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            r[order[k]] = (i + j) / 2.0
        i = j + 1
    return r


def spearman(a, b):
    ra, rb = ranks(a), ranks(b)
    ma, mb = statistics.fmean(ra), statistics.fmean(rb)
    cov = sum((x - ma) * (y - mb) for x, y in zip(ra, rb))
    var = (sum((x - ma) ** 2 for x in ra) * sum((y - mb) ** 2 for y in rb)) ** 0.5
    return cov / var if var else float("nan")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--ir", required=True, help="JSON lines from `profiler export-ir`")
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--precision", choices=["fp32", "fp16"], default="fp32")
    p.add_argument("--timing", choices=["graph", "eager"], default="graph")
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--runs", type=int, default=20)
    p.add_argument("--min-time-ms", type=float, default=50.0)
    p.add_argument("--limit", type=int, help="only the first N networks")
    p.add_argument("--out", required=True, help="long CSV to write (refuses to overwrite)")
    p.add_argument("--compare", help="latscope's long CSV of the same architectures")
    p.add_argument("--compare-device", help="its device column to compare with")
    a = p.parse_args()

    if not torch.cuda.is_available():
        sys.exit("no CUDA GPU visible to PyTorch")
    torch.backends.cudnn.benchmark = True
    # True fp32 (no TF32), as latscope's fp32: PyTorch 2.9 and later have
    # per-backend precision settings (the allow_tf32 flags are deprecated
    # there, and mixing the two APIs is an error).
    conv = getattr(torch.backends.cudnn, "conv", None)
    if conv is not None and hasattr(conv, "fp32_precision"):
        torch.backends.cudnn.conv.fp32_precision = "ieee"
        torch.backends.cuda.matmul.fp32_precision = "ieee"
    else:
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cuda.matmul.allow_tf32 = False
    gpu = torch.cuda.get_device_name(0)
    chip = "_".join(w.lower() for w in gpu.replace("-", " ").split()
                    if w.lower() not in ("nvidia", "geforce", "tesla")
                    and not w.lower().endswith("gb") and not w.lower().startswith("hbm"))
    device = f"torch_{chip}_{a.precision}_b{a.batch}" + ("_eager" if a.timing == "eager" else "")
    source = f"pytorch-{a.timing} {torch.__version__} cudnn {torch.backends.cudnn.version()}"

    with open(a.ir) as f:
        nets = [json.loads(line) for line in f if line.strip()]
    if a.limit:
        nets = nets[: a.limit]
    try:
        out = open(a.out, "x", newline="")
    except FileExistsError:
        sys.exit(f"{a.out} exists; choose another --out")
    with out:
        w = csv.writer(out)
        w.writerow(["space", "arch", "device", "latency_ms", "p10_ms", "p90_ms", "runs", "batch", "precision", "source"])
        ours = {}
        for i, item in enumerate(nets):
            space = item["network"]["name"].split("/")[0]
            median, p10, p90, runs = time_network(item["network"], a.batch, a.precision, a.timing,
                                                  a.warmup, a.runs, a.min_time_ms)
            ours[item["arch"]] = median
            w.writerow([space, item["arch"], device, f"{median:.6f}", f"{p10:.6f}", f"{p90:.6f}",
                        runs, a.batch, a.precision, source])
            if (i + 1) % 50 == 0:
                print(f"{i + 1}/{len(nets)} timed", file=sys.stderr, flush=True)
    print(f"wrote {len(ours)} rows ({device}) to {a.out}")

    if a.compare:
        theirs, their_sources = read_long_csv(a.compare, a.compare_device)
        print(f"PyTorch: {source}")
        print(f"latscope ({a.compare_device}): {'; '.join(their_sources)}")
        common = [k for k in ours if k in theirs]
        if len(common) < 3:
            sys.exit(f"only {len(common)} architectures in common with {a.compare}")
        t = [ours[k] for k in common]
        l = [theirs[k] for k in common]
        print(f"| architectures | Spearman rho | median latscope / median PyTorch | median per-arch ratio |")
        print(f"|---|---|---|---|")
        ratios = sorted(x / y for x, y in zip(l, t))
        print(f"| {len(common)} | {spearman(l, t):.4f} | {statistics.median(l) / statistics.median(t):.3f} "
              f"| {statistics.median(ratios):.3f} |")


if __name__ == "__main__":
    main()
