"""Predicts from architecture strings with a latscope predictor file in
onnxruntime, using nothing of latscope but the file: the `arch_ops` input is
formed from the strings with the metadata's vocabulary and position order,
and the graph encodes it. Compares with `profiler predict`'s CSV.

Usage: python predict_from_strings.py PREDICTOR.onnx ARCHS.txt EXPECTED.csv [TOLERANCE]
  ARCHS.txt     one architecture string per line
  EXPECTED.csv  `profiler predict` output: arch,device,latency_ms
Prints the largest relative difference; exits 1 above TOLERANCE (1e-5).
"""

import csv
import json
import re
import sys

import numpy as np
import onnx
import onnxruntime as ort


def arch_ops(arch, raw):
    """The operation index at each position (latscope.raw_input)."""
    if "~" in arch:  # nb201: |op~0|+|op~0|op~1|+|op~0|op~1|op~2|
        names = re.findall(r"([a-z0-9_]+)~\d", arch)
    else:  # fbnet: op-op-...-op
        names = arch.split("-")
    if len(names) != len(raw["positions"]):
        raise ValueError(f"{arch!r}: {len(names)} operations, the file has {len(raw['positions'])} positions")
    return [raw["choices"].index(name) for name in names]


def main():
    path, archs_file, expected_file = sys.argv[1:4]
    tolerance = float(sys.argv[4]) if len(sys.argv) > 4 else 1e-5
    onnx.checker.check_model(onnx.load(path), full_check=True)
    ort.set_default_logger_severity(3)  # arch's empty default is an initializer; ORT says so
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    meta = sess.get_modelmeta().custom_metadata_map
    raw = json.loads(meta["latscope.raw_input"])
    devices = json.loads(meta["latscope.devices"])
    archs = [line.strip() for line in open(archs_file) if line.strip()]
    ops = np.array([arch_ops(a, raw) for a in archs], dtype=np.int64)
    (ms,) = sess.run(["latency_ms"], {raw["input"]: ops})

    expected = {}
    with open(expected_file) as f:
        for row in csv.DictReader(f):
            expected[(row["arch"], row["device"])] = float(row["latency_ms"])
    worst, where = 0.0, None
    for i, arch in enumerate(archs):
        for j, device in enumerate(devices):
            want = expected[(arch, device)]
            rel = abs(float(ms[i, j]) - want) / abs(want)
            if rel > worst:
                worst, where = rel, (arch, device, float(ms[i, j]), want)
    compared = len(archs) * len(devices)
    if len(expected) != compared:
        print(f"FAIL {path}: profiler predict gave {len(expected)} values, onnxruntime {compared}")
        sys.exit(1)
    good = worst <= tolerance
    print(f"{'ok  ' if good else 'FAIL'} {path}: {len(archs)} architectures x {len(devices)} devices "
          f"from strings through arch_ops, largest relative difference to profiler predict {worst:.1e}"
          + ("" if good else f" at {where}"))
    sys.exit(0 if good else 1)


if __name__ == "__main__":
    main()
