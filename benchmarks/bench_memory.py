"""Peak memory and time of one Evoformer block: plain, chunked, and in place
(``reference/low_memory.py``), beside the memory model's prediction.

    python benchmarks/bench_memory.py                        # L = 256, 512, 1024
    python benchmarks/bench_memory.py --lengths 128 --runs 1 --threads 1

Full AF2 sizes (c_m = 256, c_z = 128), fp32, CPU, random weights, ``--n-seq`` MSA
rows. Every setting runs in a fresh subprocess: a warm-up on a tiny input, then the
peak resident set size is reset (Linux: ``/proc/self/clear_refs``, VmHWM) and one
forward pass at the full size runs; the extra peak is VmHWM minus the resident
size before the pass (inputs and weights already there). Then ``--runs`` timed
passes (median). The extra peak is compared with the size of ``z`` and with
``reference.memory_model.block_peak_bytes``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from timing import load, set_threads  # noqa: E402

from reference import memory_model  # noqa: E402
from reference.evoformer import EvoformerBlock  # noqa: E402

# (label, in place, chunk size)
SETTINGS = [
    ("plain", False, None),
    ("plain, chunk 4", False, 4),
    ("in place, rows 4", True, None),
    ("in place, rows 16", True, 16),
]


def _status_bytes(field: str) -> int:
    with open("/proc/self/status") as f:
        line = next(line for line in f if line.startswith(field + ":"))
    return int(line.split()[1]) * 1024  # kB


def child(n_res: int, n_seq: int, inplace: bool, chunk: int | None, runs: int):
    torch.manual_seed(0)
    block = EvoformerBlock().eval()
    block.inplace = inplace

    def inputs(s, r):
        return (
            torch.randn(s, r, 256),
            torch.randn(r, r, 128),
            torch.ones(s, r),
            torch.ones(r, r),
        )

    x = inputs(n_seq, n_res)
    with torch.inference_mode():
        block(*inputs(3, 5), chunk_size=chunk)
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # reset VmHWM to the current resident size
        base = _status_bytes("VmRSS")
        start = time.perf_counter()
        block(*x, chunk_size=chunk)
        first = time.perf_counter() - start
        peak = _status_bytes("VmHWM") - base
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            block(*x, chunk_size=chunk)
            times.append(time.perf_counter() - start)
    # Without timed runs, the measured pass's time (first touch of its pages included).
    return {"peak": peak, "seconds": statistics.median(times) if times else first}


def measure(n_res, n_seq, inplace, chunk, runs) -> dict:
    spec = json.dumps([n_res, n_seq, inplace, chunk, runs])
    out = subprocess.run(
        [sys.executable, __file__, "--child", spec],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ},
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--lengths", type=int, nargs="+", default=[256, 512, 1024])
    p.add_argument("--n-seq", type=int, default=32)
    p.add_argument("--runs", type=int, default=2, help="timed passes per setting")
    p.add_argument("--threads", type=int, default=None)
    p.add_argument(
        "--max-gib", type=float, default=8, help="skip settings the model puts above"
    )
    p.add_argument(
        "--max-timed-length",
        type=int,
        default=512,
        help="longer lengths: only the measured pass is timed",
    )
    p.add_argument("--child", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.threads:
        set_threads(args.threads)
    if args.child:
        print(json.dumps(child(*json.loads(args.child))))
        return
    print(
        f"# one EvoformerBlock, N_seq={args.n_seq}, fp32, CPU, "
        f"{torch.get_num_threads()} threads; extra peak RSS in MiB (x size of z); "
        f"model = memory_model.block_peak_bytes"
    )
    print("| L | setting | extra peak MiB | / z | model MiB | s/block | load |")
    print("|---:|---|---:|---:|---:|---:|---:|")
    for n_res in args.lengths:
        z_bytes = n_res * n_res * 128 * 4
        for label, inplace, chunk in SETTINGS:
            model = memory_model.block_peak_bytes(
                n_res, args.n_seq, chunk_size=chunk, inplace=inplace
            )
            if model > args.max_gib * 2**30:
                print(f"| {n_res} | {label} | skipped: model {model / 2**30:.0f} GiB |")
                continue
            runs = args.runs if n_res <= args.max_timed_length else 0
            r = measure(n_res, args.n_seq, inplace, chunk, runs)
            secs = f"{r['seconds']:.2f}" if r["seconds"] is not None else "-"
            print(
                f"| {n_res} | {label} | {r['peak'] / 2**20:.0f} "
                f"| {r['peak'] / z_bytes:.2f} | {model / 2**20:.0f} | {secs} "
                f"| {load()} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
