"""The full model, one recycling pass, side by side: ``reference.model.AlphaFold``
(PyTorch) against DeepMind's ``modules.AlphaFold`` (haiku, jitted; this fork runs one
pass per call), same config (48 Evoformer blocks, 4 extra-MSA blocks, model_3_ptm's
heads), same random weights, same features, same machine, same run.

    python benchmarks/bench_model.py                       # CPU, L = 64, 128, 256
    python benchmarks/bench_model.py --lengths 64 128 --threads 1   # on a busy machine

One pass = one recycle: the time per prediction is (num_recycle + 1) times it.
The two sides run in turn (ours, JAX, ours, JAX, ...) after a warm-up each; the
table gives the medians, the median of the pairwise ratios, the CPU time per wall
second of each side (how many threads it really kept busy), and the largest
differences of the final atom positions and distogram logits. ``--threads n`` pins
the process to n CPUs and gives torch n threads, so both sides get the same cores.
Few MSA rows by default (--n-clust 16, --n-extra 32) to keep a CPU run short.
The GPU table is ``bench_gpu.py``. The JAX column needs the crosscheck extra
(jax, dm-haiku, alphafold-colabfold).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from timing import alternate, load, median_ratio, set_threads  # noqa: E402

from reference.config import model_config  # noqa: E402
from reference.model import AlphaFold, to_tensors  # noqa: E402


def features(
    n_res: int, n_clust: int, n_extra: int, seed: int = 0
) -> dict[str, np.ndarray]:
    """One pass of processed features in AF2's layout (leading pass dim of 1)."""
    rng = np.random.default_rng(seed)
    aatype = rng.integers(0, 20, n_res).astype(np.int32)
    from reference.all_atom import make_atom14_masks

    masks = {
        k: v.numpy()
        for k, v in make_atom14_masks(torch.from_numpy(aatype).long()).items()
    }
    f = {
        "aatype": aatype,
        "residue_index": np.arange(n_res, dtype=np.int32),
        "seq_mask": np.ones(n_res, np.float32),
        "seq_length": np.array(n_res, np.int32),
        "target_feat": np.concatenate(
            [np.zeros((n_res, 1)), np.eye(21)[aatype]], -1
        ).astype(np.float32),
        "msa_feat": rng.random((n_clust, n_res, 49)).astype(np.float32),
        "msa_mask": np.ones((n_clust, n_res), np.float32),
        "extra_msa": rng.integers(0, 22, (n_extra, n_res)).astype(np.int32),
        "extra_has_deletion": np.zeros((n_extra, n_res), np.float32),
        "extra_deletion_value": np.zeros((n_extra, n_res), np.float32),
        "extra_msa_mask": np.ones((n_extra, n_res), np.float32),
        "residx_atom37_to_atom14": masks["residx_atom37_to_atom14"].astype(np.int32),
        "atom37_atom_exists": masks["atom37_atom_exists"].astype(np.float32),
        "atom14_atom_exists": masks["atom14_atom_exists"].astype(np.float32),
    }
    return {k: v[None] for k, v in f.items()}


def _jax_transform(feats, n_block: int, n_extra_block: int, bfloat16: bool = False):
    """(haiku-transformed one-pass AF2, its batch) for these features."""
    import haiku as hk
    from af2_full_model import zero_prev
    from alphafold.model import modules
    from haiku_utils import model_config as af_model_config

    cfg = af_model_config("model_3_ptm", num_evoformer=n_block, num_extra=n_extra_block)
    cfg.model.global_config.subbatch_size = None
    cfg.model.global_config.bfloat16 = bfloat16
    batch = {**feats, "prev": zero_prev(feats["aatype"].shape[1])}
    t = hk.transform(lambda b: modules.AlphaFold(cfg.model)(b, is_training=False))
    return t, batch


def jax_shaped_params(feats, n_block: int, n_extra_block: int = 4):
    """Random parameters in the npz layout, the same on every call (seed 0)."""
    import jax
    from af2_full_model import random_params

    t, batch = _jax_transform(feats, n_block, n_extra_block)
    return random_params(
        jax.eval_shape(t.init, jax.random.PRNGKey(0), batch), noise=0.01
    )


def jax_model(feats, n_block: int, n_extra_block: int, bfloat16: bool = False):
    """(flat params in the npz layout, a function running one jitted pass and
    returning its final atom positions and distogram logits as numpy)."""
    import jax
    from af2_full_model import _unflatten

    t, batch = _jax_transform(feats, n_block, n_extra_block, bfloat16)
    flat = jax_shaped_params(feats, n_block, n_extra_block)
    apply, params = jax.jit(t.apply), _unflatten(flat)

    def run():
        out = jax.block_until_ready(apply(params, jax.random.PRNGKey(0), batch))
        return (
            np.asarray(out["structure_module"]["final_atom_positions"], np.float32),
            np.asarray(out["distogram"]["logits"], np.float32),
        )

    return flat, run


def torch_model(flat, args, precision="fp32"):
    settings = dict(
        chunk_size=args.chunk_size,
        precision=precision,
        inplace=args.fast,
        fused_attention=args.fast,
    )
    if flat is not None:
        return AlphaFold.from_params(flat, **settings)
    return AlphaFold(
        model_config("model_3_ptm", N_evoformer_block=args.blocks, **settings)
    )


def run_cpu(args):
    print(
        f"# full model, one pass, {args.blocks} Evoformer + 4 extra-MSA blocks, "
        f"N_clust={args.n_clust}, N_extra={args.n_extra}, fp32, CPU, "
        f"{torch.get_num_threads()} torch threads, chunk_size={args.chunk_size}, "
        f"{'fast paths' if args.fast else 'plain'}, "
        f"median of {args.pairs} alternated pairs"
    )
    print(
        "| L | ours (s) | JAX (s) | JAX/ours | CPU/wall ours, JAX "
        "| max abs diff positions (Å), distogram logits | load |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for n_res in args.lengths:
        print(one_length(args, n_res), flush=True)


def one_length(args, n_res: int) -> str:
    """The table row of one length: both models built, timed in turn, compared."""
    feats = features(n_res, args.n_clust, args.n_extra)
    flat, jax_run = (
        jax_model(feats, args.blocks, 4) if not args.no_jax else (None, None)
    )
    model = torch_model(flat, args).eval()
    batch = {k: v[0] for k, v in to_tensors(feats).items()}

    def ours():
        with torch.inference_mode():
            out = model.forward_pass(batch)
        return out["final_atom_positions"].numpy(), out["distogram_logits"].numpy()

    fns = {"ours": ours, **({"jax": jax_run} if jax_run else {})}
    t = alternate(fns, args.pairs)
    if jax_run:
        diffs = [float(np.abs(a - b).max()) for a, b in zip(ours(), jax_run())]
        ratio = median_ratio(t["jax"]["times"], t["ours"]["times"])
        theirs = t["jax"]
    else:
        diffs, ratio = [float("nan")] * 2, float("nan")
        theirs = {"median": float("nan"), "cpu_per_wall": float("nan")}
    return (
        f"| {n_res} | {t['ours']['median']:.2f} | {theirs['median']:.2f} "
        f"| {ratio:.2f} | {t['ours']['cpu_per_wall']:.2f}, "
        f"{theirs['cpu_per_wall']:.2f} | {diffs[0]:.1e}, {diffs[1]:.1e} | {load()} |"
    )


def main():
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--lengths", type=int, nargs="+", default=[64, 128, 256])
    p.add_argument(
        "--blocks", type=int, default=48, help="Evoformer blocks (48 in AF2)"
    )
    p.add_argument("--n-clust", type=int, default=16)
    p.add_argument("--n-extra", type=int, default=32)
    p.add_argument(
        "--pairs", type=int, default=3, help="timed (ours, JAX) pairs, alternated"
    )
    p.add_argument("--chunk-size", type=int, default=None)
    p.add_argument(
        "--threads", type=int, default=None, help="CPU threads of torch and XLA"
    )
    p.add_argument(
        "--fast",
        action="store_true",
        help="our fast paths: in-place pair updates, fused attention",
    )
    p.add_argument("--no-jax", action="store_true", help="only our model")
    args = p.parse_args()
    if args.threads:  # both sides: torch, and XLA (before jax is imported)
        set_threads(args.threads)
    run_cpu(args)


if __name__ == "__main__":
    main()
