"""One Evoformer block, side by side: ``reference.evoformer.EvoformerBlock`` (PyTorch)
against DeepMind's ``EvoformerIteration`` (haiku, jitted), same sizes, same weights,
same machine, same run, timed in alternation (ours, JAX, ours, JAX, ...) with the
outputs compared; then the peak memory of our block with and without chunking.

    python benchmarks/bench_evoformer.py                 # L = 64, 128, 256; N_seq = 32
    python benchmarks/bench_evoformer.py --lengths 64 --n-seq 16 --pairs 2 --threads 1

Full AF2 channel sizes (c_m = 256, c_z = 128), fp32, CPU unless --device says
otherwise. The peak memory is measured in a fresh subprocess per setting, as the
growth of the process's peak resident set size during one forward pass (CPU, Linux:
``VmHWM`` reset through ``/proc/self/clear_refs``), or
``torch.cuda.max_memory_allocated`` (CUDA). Needs the crosscheck
extra (jax, dm-haiku, alphafold-colabfold) for the JAX column.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from timing import alternate, load, median_ratio, set_threads  # noqa: E402

from reference.attention import Attention  # noqa: E402
from reference.evoformer import EvoformerBlock  # noqa: E402
from reference.weights import load_params  # noqa: E402


def inputs(n_seq: int, n_res: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    m = rng.standard_normal((n_seq, n_res, 256)).astype(np.float32)
    z = rng.standard_normal((n_res, n_res, 128)).astype(np.float32)
    msa_mask = np.ones((n_seq, n_res), np.float32)
    msa_mask[-2:] = 0  # two padding rows
    pair_mask = np.ones((n_res, n_res), np.float32)
    return m, z, msa_mask, pair_mask


def haiku_block(args):
    """(flat params, jitted apply(m, z, msa_mask, pair_mask) -> (m, z)) of AF2's
    block."""
    import haiku as hk
    import haiku_utils
    import jax
    from alphafold.model import modules

    cfg = haiku_utils.model_config()
    c, gc = cfg.model.embeddings_and_evoformer.evoformer, cfg.model.global_config

    def fn(m, z, msa_mask, pair_mask):
        it = modules.EvoformerIteration(
            c, gc, is_extra_msa=False, name="evoformer_iteration"
        )
        out = it(
            {"msa": m, "pair": z},
            {"msa": msa_mask, "pair": pair_mask},
            is_training=False,
        )
        return out["msa"], out["pair"]

    t = hk.transform(fn)
    params = t.init(jax.random.PRNGKey(0), *inputs(3, 5))
    flat = haiku_utils.add_noise(haiku_utils.flatten(params), 0)
    nested = haiku_utils.unflatten(flat)
    apply = jax.jit(lambda *a: t.apply(nested, jax.random.PRNGKey(0), *a))
    return flat, lambda *a: jax.block_until_ready(apply(*a))


def ours_block(flat, device: str, fast: bool = False) -> EvoformerBlock:
    """Our block with AF2's weights; ``fast``: in place, fused attention."""
    block = EvoformerBlock()
    load_params(block, flat, "evoformer_iteration")
    block.inplace = fast
    for module in block.modules():
        if isinstance(module, Attention):
            module.fused = fast
    return block.to(device).eval()


def sync(device: str):
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def compare_speed(args):
    flat, jax_apply = haiku_block(args)
    block = ours_block(flat, args.device, args.fast)
    rows = []
    for n_res in args.lengths:
        rows.append(compare_one(args, block, jax_apply, n_res))
    return rows


def compare_one(args, block, jax_apply, n_res: int):
    """(n_res, timings, JAX/ours, max |diff|) of one length, printed as it ends."""
    x = inputs(args.n_seq, n_res)
    xt = [torch.from_numpy(a).to(args.device) for a in x]

    def ours():
        with torch.inference_mode():
            out = block(*xt, chunk_size=args.chunk_size)
        sync(args.device)
        return out

    m_ours, z_ours = ours()
    m_jax, z_jax = jax_apply(*x)
    diff = max(
        float(np.abs(m_ours.cpu().numpy() - np.asarray(m_jax)).max()),
        float(np.abs(z_ours.cpu().numpy() - np.asarray(z_jax)).max()),
    )
    t = alternate({"ours": ours, "jax": lambda: jax_apply(*x)}, args.pairs)
    ratio = median_ratio(t["jax"]["times"], t["ours"]["times"])
    print(
        f"  L={n_res}: ours {t['ours']['median']:.3f} s "
        f"(CPU/wall {t['ours']['cpu_per_wall']:.2f}), "
        f"JAX {t['jax']['median']:.3f} s (CPU/wall {t['jax']['cpu_per_wall']:.2f}), "
        f"JAX/ours {ratio:.2f}, max |diff| {diff:.1e}, load {load()}",
        flush=True,
    )
    return n_res, t, ratio, diff


def peak_memory_child(
    n_res: int, n_seq: int, chunk_size: int | None, device: str
) -> int:
    """Extra peak memory (bytes) of one forward pass of our block (run in a
    subprocess)."""
    torch.manual_seed(0)
    block = EvoformerBlock().to(device).eval()
    xt = [torch.from_numpy(a).to(device) for a in inputs(n_seq, n_res)]
    with (
        torch.no_grad()
    ):  # warm up on a tiny input: allocator, kernels and BLAS buffers
        tiny = [torch.from_numpy(a).to(device) for a in inputs(3, 5)]
        block(*tiny)
        block(*tiny, chunk_size=2)
    if device.startswith("cuda"):
        torch.cuda.synchronize()
        base = torch.cuda.memory_allocated()
        torch.cuda.reset_peak_memory_stats()
        with torch.no_grad():
            block(*xt, chunk_size=chunk_size)
        torch.cuda.synchronize()
        return torch.cuda.max_memory_allocated() - base
    with open("/proc/self/clear_refs", "w") as f:
        f.write(
            "5"
        )  # Linux: reset the peak resident set size (VmHWM) to the current one
    base = _status_bytes("VmRSS")
    with torch.no_grad():
        block(*xt, chunk_size=chunk_size)
    return _status_bytes("VmHWM") - base


def _status_bytes(field: str) -> int:
    with open("/proc/self/status") as f:
        line = next(line for line in f if line.startswith(field + ":"))
    return int(line.split()[1]) * 1024  # kB


def peak_memory(n_res: int, n_seq: int, chunk_size: int | None, device: str) -> int:
    cmd = [
        sys.executable,
        __file__,
        "--memory-child",
        json.dumps([n_res, n_seq, chunk_size, device]),
    ]
    out = subprocess.run(
        cmd, check=True, capture_output=True, text=True, env={**os.environ}
    ).stdout
    return int(out.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lengths", type=int, nargs="+", default=[64, 128, 256])
    parser.add_argument("--n-seq", type=int, default=32)
    parser.add_argument(
        "--pairs", type=int, default=5, help="timed (ours, JAX) pairs, alternated"
    )
    parser.add_argument("--chunk-size", type=int, default=None, help="for the timing")
    parser.add_argument(
        "--memory-chunks",
        type=int,
        nargs="+",
        default=[4, 32],
        help="chunk sizes of the memory table",
    )
    parser.add_argument("--device", default="cpu")
    parser.add_argument(
        "--threads", type=int, default=None, help="CPU threads of torch and XLA"
    )
    parser.add_argument(
        "--fast",
        action="store_true",
        help="our fast paths: in-place pair updates, fused attention",
    )
    parser.add_argument(
        "--no-memory", action="store_true", help="skip the memory table"
    )
    parser.add_argument("--memory-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.threads:  # both sides: torch, and XLA (before jax is imported)
        set_threads(args.threads)
    if args.memory_child:
        print(peak_memory_child(*json.loads(args.memory_child)))
        return

    print(
        f"EvoformerBlock{' (fast paths)' if args.fast else ''}, N_seq={args.n_seq}, "
        "c_m=256, c_z=128, fp32, "
        f"device={args.device}, torch threads={torch.get_num_threads()}"
    )
    rows = compare_speed(args)
    print(
        f"\nMedians of {args.pairs} alternated pairs; JAX / ours is the median of "
        "the pairwise ratios (> 1: ours faster)."
    )
    print(
        "| N_res | ours (s/block) | AF2 JAX jit (s/block) | JAX / ours | max abs diff |"
    )
    print("|---:|---:|---:|---:|---:|")
    for n_res, t, ratio, diff in rows:
        print(
            f"| {n_res} | {t['ours']['median']:.3f} | {t['jax']['median']:.3f} "
            f"| {ratio:.2f} | {diff:.1e} |"
        )

    if args.no_memory:
        return
    print("\nPeak extra memory of one forward pass of our block (MiB):")
    print(
        "| N_res | no chunking | "
        + " | ".join(f"chunk_size={c}" for c in args.memory_chunks)
        + " |"
    )
    print("|---:|---:|" + "---:|" * len(args.memory_chunks))
    for n_res in args.lengths:
        peaks = [
            peak_memory(n_res, args.n_seq, c, args.device)
            for c in [None, *args.memory_chunks]
        ]
        print(
            f"| {n_res} | " + " | ".join(f"{p / 2**20:.0f}" for p in peaks) + " |",
            flush=True,
        )


if __name__ == "__main__":
    main()
