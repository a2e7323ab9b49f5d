"""The GPU table: time per recycle and peak memory of the full model, ours beside
DeepMind's JAX model, for L = 128 ... 4,000 in fp32, TF32 and bf16.

    python benchmarks/bench_gpu.py                                  # the whole table
    python benchmarks/bench_gpu.py --lengths 128 256 --precisions fp32 --passes 2
    python benchmarks/bench_gpu.py --no-jax --chunk-size 64         # ours only

Each cell runs in a fresh subprocess (so one side's memory never counts against the
other's, and an out-of-memory error ends only that cell): one warm-up pass, then
``--passes`` timed passes of model_3_ptm's config (48 Evoformer + 4 extra-MSA
blocks, random weights, the same on both sides), ``--n-clust`` cluster rows and
``--n-extra`` extra rows. Ours runs its inference fast paths (in-place pair updates,
fused attention; ``--plain`` for the plain blocks) with the largest chunk size that
the memory model lets fit the free GPU memory (as ``predict --chunk-size auto``). A
row gives the median seconds per pass (= per recycle), the peak device memory (ours:
``torch.cuda.max_memory_allocated``; JAX: ``peak_bytes_in_use``, with
``XLA_PYTHON_CLIENT_PREALLOCATE=false``), and in fp32 the largest difference of the
final atom positions between the two sides. After a length runs out of memory, the
longer ones are skipped for that side and precision. JAX runs only where it has a
GPU backend (``jax[cuda]``); its TF32 and bf16 are
``jax.default_matmul_precision("tensorfloat32")`` and AF2's own ``bfloat16`` option.
Without CUDA the script says so and exits cleanly.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "benchmarks")]

OOM = "out of memory"


def child_ours(cell: dict) -> dict:
    from bench_model import features, jax_shaped_params

    from reference.config import model_config
    from reference.memory_model import auto_chunk_size
    from reference.model import AlphaFold, to_tensors

    feats = features(cell["L"], cell["n_clust"], cell["n_extra"])
    fast = not cell["plain"]
    chunk = cell["chunk_size"]
    if chunk is None:  # the largest that fits, as predict's --chunk-size auto
        chunk = auto_chunk_size(
            cell["L"],
            cell["n_clust"],
            cell["n_extra"],
            torch.cuda.mem_get_info()[0],
            inplace=fast,
            precision=cell["precision"],
        )
    settings = dict(
        chunk_size=chunk,
        precision=cell["precision"],
        inplace=fast,
        fused_attention=fast,
    )
    flat = jax_shaped_params(feats, cell["blocks"]) if cell["same_weights"] else None
    if flat is not None:
        model = AlphaFold.from_params(flat, **settings)
    else:
        model = AlphaFold(
            model_config("model_3_ptm", N_evoformer_block=cell["blocks"], **settings)
        )
    model = model.cuda().eval()
    batch = {k: v[0] for k, v in to_tensors(feats, "cuda").items()}
    times = []
    with torch.inference_mode():
        for _ in range(cell["passes"] + 1):
            torch.cuda.synchronize()
            start = time.perf_counter()
            out = model.forward_pass(batch)
            torch.cuda.synchronize()
            times.append(time.perf_counter() - start)
            del out["prev"]
    positions = out["final_atom_positions"].float().cpu().numpy()
    return {
        "seconds": statistics.median(times[1:]),
        "peak": torch.cuda.max_memory_allocated(),
        "positions": positions,
    }


def child_jax(cell: dict) -> dict:
    import jax
    from bench_model import features, jax_model

    if jax.default_backend() != "gpu":
        return {"error": "JAX has no GPU backend here"}
    feats = features(cell["L"], cell["n_clust"], cell["n_extra"])
    matmul = {"fp32": "float32", "tf32": "tensorfloat32", "bf16": "bfloat16"}
    with jax.default_matmul_precision(matmul[cell["precision"]]):
        _, run = jax_model(
            feats, cell["blocks"], 4, bfloat16=cell["precision"] == "bf16"
        )
        times = []
        for _ in range(cell["passes"] + 1):
            start = time.perf_counter()
            positions, _ = run()
            times.append(time.perf_counter() - start)
    stats = jax.devices()[0].memory_stats() or {}
    return {
        "seconds": statistics.median(times[1:]),
        "peak": stats.get("peak_bytes_in_use", float("nan")),
        "positions": positions,
    }


def run_child(cell: dict, out_dir: Path) -> dict:
    """One cell in a fresh process; ``{"error": ...}`` when it failed."""
    path = out_dir / f"{cell['side']}_{cell['precision']}_{cell['L']}.npz"
    env = {**os.environ, "XLA_PYTHON_CLIENT_PREALLOCATE": "false"}
    cmd = [sys.executable, __file__, "--child", json.dumps({**cell, "out": str(path)})]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        text = proc.stderr + proc.stdout
        oom = "out of memory" in text.lower() or "RESOURCE_EXHAUSTED" in text
        last = (text.strip().splitlines() or [f"exit {proc.returncode}"])[-1]
        return {"error": OOM if oom else last}
    with np.load(path) as f:
        return {k: f[k] if k == "positions" else f[k].item() for k in f.files}


def child_main(spec: str) -> None:
    cell = json.loads(spec)
    if cell["side"] == "jax":
        result = child_jax(cell)
    else:
        result = child_ours(cell)
    if "error" in result:
        sys.exit(result["error"])
    np.savez(cell["out"], **result)


def main():
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "--lengths", type=int, nargs="+", default=[128, 256, 512, 1024, 2000, 4000]
    )
    p.add_argument("--precisions", nargs="+", default=["fp32", "tf32", "bf16"])
    p.add_argument("--blocks", type=int, default=48)
    p.add_argument("--n-clust", type=int, default=128)
    p.add_argument("--n-extra", type=int, default=1024)
    p.add_argument("--passes", type=int, default=3, help="timed passes per cell")
    p.add_argument(
        "--chunk-size",
        type=int,
        default=None,
        help="our chunk size (default: the largest that fits, by the memory model)",
    )
    p.add_argument(
        "--plain",
        action="store_true",
        help="our plain blocks and attention (default: in place, fused attention)",
    )
    p.add_argument("--no-jax", action="store_true", help="only our model")
    p.add_argument("--child", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        return child_main(args.child)
    if not torch.cuda.is_available():
        print("bench_gpu.py: no CUDA device here; nothing to measure.")
        return
    try:
        import jax  # noqa: F401

        same_weights = True
    except ImportError:
        same_weights, args.no_jax = False, True
    print(
        f"# {torch.cuda.get_device_name()}, model_3_ptm config, {args.blocks} "
        f"Evoformer + 4 extra-MSA blocks, N_clust={args.n_clust}, "
        f"N_extra={args.n_extra}, median of {args.passes} passes after a warm-up"
    )
    print(
        "| L | precision | ours s/recycle | ours peak GiB | JAX s/recycle "
        "| JAX peak GiB | JAX/ours | max abs diff positions (Å) |"
    )
    print("|---:|---|---:|---:|---:|---:|---:|---:|")
    sides = ["ours"] + ([] if args.no_jax else ["jax"])
    with tempfile.TemporaryDirectory() as tmp:
        for precision in args.precisions:
            stopped = set()
            for n_res in args.lengths:
                res = {}
                for side in sides:
                    if side in stopped:
                        res[side] = {"error": "skipped"}
                        continue
                    cell = dict(
                        side=side,
                        L=n_res,
                        precision=precision,
                        blocks=args.blocks,
                        n_clust=args.n_clust,
                        n_extra=args.n_extra,
                        passes=args.passes,
                        chunk_size=args.chunk_size,
                        plain=args.plain,
                        same_weights=same_weights,
                    )
                    res[side] = run_child(cell, Path(tmp))
                    if res[side].get("error") == OOM:
                        stopped.add(side)
                print(row(n_res, precision, res), flush=True)


def row(n_res: int, precision: str, res: dict) -> str:
    def cells(r):
        if r is None:
            return ["-", "-"]
        if "error" in r:
            return [r["error"], "-"]
        return [f"{r['seconds']:.2f}", f"{r['peak'] / 2**30:.1f}"]

    ours, theirs = res["ours"], res.get("jax")
    ratio = diff = "-"
    if "error" not in ours and theirs is not None and "error" not in theirs:
        ratio = f"{theirs['seconds'] / ours['seconds']:.2f}"
        d = np.abs(ours["positions"] - theirs["positions"]).max()
        diff = f"{d:.1e}"
    return (
        f"| {n_res} | {precision} | "
        + " | ".join(cells(ours) + cells(theirs) + [ratio, diff])
        + " |"
    )


if __name__ == "__main__":
    main()
