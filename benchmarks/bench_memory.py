"""Peak memory and time of one Evoformer block: plain, chunked, and in place
(``reference/low_memory.py``), beside the memory model's prediction.

    python benchmarks/bench_memory.py                        # L = 256, 512, 1024
    python benchmarks/bench_memory.py --lengths 128 --runs 1 --threads 1
    python benchmarks/bench_memory.py --speed --lengths 128 256 --threads 1

Full AF2 sizes (c_m = 256, c_z = 128), fp32, CPU, random weights, ``--n-seq`` MSA
rows. Every setting runs in a fresh subprocess (with malloc's mmap threshold fixed at
64 KiB: see ``FIXED_MMAP_THRESHOLD``): a warm-up on a tiny input, then the
peak resident set size is reset (Linux: ``/proc/self/clear_refs``, VmHWM) and one
forward pass at the full size runs; the extra peak is VmHWM minus the resident
size before the pass (inputs and weights already there). Then ``--runs`` timed
passes (median). The extra peak is compared with the size of ``z`` and with
``reference.memory_model.block_peak_bytes``.

``--speed`` instead times the settings in one process, in turn (A B C D A B C D
...), and prints the medians and each one's median ratio to the plain block.
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

from timing import alternate, load, median_ratio, set_threads  # noqa: E402

from reference import memory_model  # noqa: E402
from reference.attention import Attention  # noqa: E402
from reference.evoformer import EvoformerBlock  # noqa: E402

# glibc's malloc raises its mmap threshold as large blocks are freed (up to 32 MiB),
# and then keeps freed blocks below it in the heap, so the resident size outgrows
# the live tensors; a fixed threshold returns every block of 64 KiB or more at once.
FIXED_MMAP_THRESHOLD = "glibc.malloc.mmap_threshold=65536"

# (label, in place, chunk size, fused attention)
SETTINGS = [
    ("plain", False, None, False),
    ("plain, chunk 4", False, 4, False),
    ("in place, rows 4", True, 4, False),
    ("in place, default rows", True, None, False),
    ("in place, rows 16", True, 16, False),
    ("in place, rows 4, fused attention", True, 4, True),
]


def _status_bytes(field: str) -> int:
    with open("/proc/self/status") as f:
        line = next(line for line in f if line.startswith(field + ":"))
    return int(line.split()[1]) * 1024  # kB


def inputs(s, r):
    return (
        torch.randn(s, r, 256),
        torch.randn(r, r, 128),
        torch.ones(s, r),
        torch.ones(r, r),
    )


def configure(block: EvoformerBlock, inplace: bool, fused: bool) -> EvoformerBlock:
    block.inplace = inplace
    for module in block.modules():
        if isinstance(module, Attention):
            module.fused = fused
    return block


def child(n_res, n_seq, inplace, chunk, fused, runs):
    torch.manual_seed(0)
    block = configure(EvoformerBlock().eval(), inplace, fused)
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


def measure(n_res, n_seq, inplace, chunk, fused, runs) -> dict:
    spec = json.dumps([n_res, n_seq, inplace, chunk, fused, runs])
    out = subprocess.run(
        [sys.executable, __file__, "--child", spec],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "GLIBC_TUNABLES": FIXED_MMAP_THRESHOLD},
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
    p.add_argument(
        "--only", nargs="+", help="only the settings with these labels (see SETTINGS)"
    )
    p.add_argument("--speed", action="store_true", help="alternated timings only")
    p.add_argument("--pairs", type=int, default=3, help="rounds of --speed")
    p.add_argument("--child", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.threads:
        set_threads(args.threads)
    if args.child:
        print(json.dumps(child(*json.loads(args.child))))
        return
    if args.speed:
        return speed(args)
    print(
        f"# one EvoformerBlock, N_seq={args.n_seq}, fp32, CPU, "
        f"{torch.get_num_threads()} threads; extra peak RSS in MiB (x size of z); "
        f"model = memory_model.block_peak_bytes"
    )
    print("| L | setting | extra peak MiB | / z | model MiB | s/block | load |")
    print("|---:|---|---:|---:|---:|---:|---:|")
    for n_res in args.lengths:
        z_bytes = n_res * n_res * 128 * 4
        for label, inplace, chunk, fused in SETTINGS:
            if args.only and label not in args.only:
                continue
            model = memory_model.block_peak_bytes(
                n_res, args.n_seq, chunk_size=chunk, inplace=inplace
            )
            if model > args.max_gib * 2**30:
                print(f"| {n_res} | {label} | skipped: model {model / 2**30:.0f} GiB |")
                continue
            runs = args.runs if n_res <= args.max_timed_length else 0
            r = measure(n_res, args.n_seq, inplace, chunk, fused, runs)
            secs = f"{r['seconds']:.2f}" if r["seconds"] is not None else "-"
            print(
                f"| {n_res} | {label} | {r['peak'] / 2**20:.0f} "
                f"| {r['peak'] / z_bytes:.2f} | {model / 2**20:.0f} | {secs} "
                f"| {load()} |",
                flush=True,
            )


def speed(args):
    print(
        f"# one EvoformerBlock, N_seq={args.n_seq}, fp32, CPU, "
        f"{torch.get_num_threads()} threads, medians of {args.pairs} alternated rounds"
    )
    print("| L | setting | s/block | plain / setting | load |")
    print("|---:|---|---:|---:|---:|")
    torch.manual_seed(0)
    block = EvoformerBlock().eval()
    for n_res in args.lengths:
        x = inputs(args.n_seq, n_res)

        def run(inplace, chunk, fused, x=x):
            def fn():
                configure(block, inplace, fused)
                with torch.inference_mode():
                    block(*x, chunk_size=chunk)

            return fn

        t = alternate({s[0]: run(*s[1:]) for s in SETTINGS}, args.pairs)
        plain = t[SETTINGS[0][0]]["times"]
        for label, r in t.items():
            print(
                f"| {n_res} | {label} | {r['median']:.2f} "
                f"| {median_ratio(plain, r['times']):.2f} | {load()} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
