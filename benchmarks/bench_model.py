"""The full model, one recycling pass, side by side: ``reference.model.AlphaFold``
(PyTorch) against DeepMind's ``modules.AlphaFold`` (haiku, jitted; this fork runs one
pass per call), same config (48 Evoformer blocks, 4 extra-MSA blocks, model_3_ptm's
heads), same random weights, same features, same machine, same run.

    python benchmarks/bench_model.py                       # CPU, L = 64, 128, 256
    python benchmarks/bench_model.py --lengths 64 128 --threads 1   # on a busy machine
    python benchmarks/bench_model.py --device cuda --lengths 256 512 1024 2048 --no-jax

One pass = one recycle: the time per prediction is (num_recycle + 1) times it.
On a machine shared with other jobs, torch's OpenMP threads can slow down
tenfold (spinning threads that wait for each other): --threads 1 gives both sides
one thread and steady figures.
Few MSA rows by default (--n-clust 16, --n-extra 32) to keep a CPU run short.
With --device cuda: fp32 and bf16 per length, peak GPU memory
(``torch.cuda.max_memory_allocated``), and the longest length that fits (a length
that runs out of memory is reported, and longer ones are skipped).
The JAX column needs the crosscheck extra (jax, dm-haiku, alphafold-colabfold).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from timing import set_threads, timed  # noqa: E402

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


def jax_model(feats, n_block: int, n_extra_block: int):
    """(flat params in the npz layout, a function running one jitted pass)."""
    import haiku as hk
    import jax
    from af2_full_model import _unflatten, random_params, zero_prev
    from alphafold.model import modules
    from haiku_utils import model_config as af_model_config

    cfg = af_model_config("model_3_ptm", num_evoformer=n_block, num_extra=n_extra_block)
    cfg.model.global_config.subbatch_size = None
    n_res = feats["aatype"].shape[1]
    batch = {**feats, "prev": zero_prev(n_res)}
    t = hk.transform(lambda b: modules.AlphaFold(cfg.model)(b, is_training=False))
    flat = random_params(
        jax.eval_shape(t.init, jax.random.PRNGKey(0), batch), noise=0.01
    )
    apply, params = jax.jit(t.apply), _unflatten(flat)

    def run():
        out = apply(params, jax.random.PRNGKey(0), batch)
        jax.block_until_ready(out)

    return flat, run


def torch_model(flat, args, precision="fp32"):
    if flat is not None:
        return AlphaFold.from_params(
            flat, chunk_size=args.chunk_size, precision=precision
        )
    cfg = model_config(
        "model_3_ptm",
        N_evoformer_block=args.blocks,
        chunk_size=args.chunk_size,
        precision=precision,
    )
    return AlphaFold(cfg)


def run_cpu(args):
    print(
        f"# full model, one pass, {args.blocks} Evoformer + 4 extra-MSA blocks, "
        f"N_clust={args.n_clust}, N_extra={args.n_extra}, fp32, CPU, "
        f"{torch.get_num_threads()} torch threads, best of {args.repeats}"
    )
    print(f"{'L':>6} {'ours (s)':>10} {'JAX (s)':>10} {'JAX/ours':>9}")
    for n_res in args.lengths:
        feats = features(n_res, args.n_clust, args.n_extra)
        flat, jax_run = (
            jax_model(feats, args.blocks, 4) if not args.no_jax else (None, None)
        )
        model = torch_model(flat, args).eval()
        batch = {k: v[0] for k, v in to_tensors(feats).items()}
        with torch.inference_mode():
            ours = timed(lambda: model.forward_pass(batch), args.repeats)
        del model
        theirs = timed(jax_run, args.repeats) if jax_run else float("nan")
        print(
            f"{n_res:>6} {ours:>10.2f} {theirs:>10.2f} {theirs / ours:>9.2f}",
            flush=True,
        )


def run_cuda(args):
    print(
        f"# full model, one pass, {args.blocks} Evoformer + 4 extra-MSA blocks, "
        f"N_clust={args.n_clust}, N_extra={args.n_extra}, chunk_size={args.chunk_size}, "
        f"{torch.cuda.get_device_name()}, best of {args.repeats}"
    )
    print(f"{'L':>6} {'precision':>9} {'time (s)':>9} {'peak GiB':>9}")
    for precision in ("fp32", "bf16"):
        model = torch_model(None, args, precision).cuda().eval()
        for n_res in args.lengths:
            batch = {
                k: v[0]
                for k, v in to_tensors(
                    features(n_res, args.n_clust, args.n_extra), "cuda"
                ).items()
            }
            torch.cuda.reset_peak_memory_stats()
            try:
                with torch.inference_mode():
                    t = timed(
                        lambda: (model.forward_pass(batch), torch.cuda.synchronize()),
                        args.repeats,
                    )
            except torch.OutOfMemoryError:
                print(
                    f"{n_res:>6} {precision:>9} {'out of memory':>19}; longer lengths skipped",
                    flush=True,
                )
                break
            finally:
                del batch
            peak = torch.cuda.max_memory_allocated() / 2**30
            print(f"{n_res:>6} {precision:>9} {t:>9.2f} {peak:>9.1f}", flush=True)
        del model
        torch.cuda.empty_cache()


def main():
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--lengths", type=int, nargs="+", default=[64, 128, 256])
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    p.add_argument(
        "--blocks", type=int, default=48, help="Evoformer blocks (48 in AF2)"
    )
    p.add_argument("--n-clust", type=int, default=16)
    p.add_argument("--n-extra", type=int, default=32)
    p.add_argument("--repeats", type=int, default=1)
    p.add_argument("--chunk-size", type=int, default=None)
    p.add_argument("--threads", type=int, default=None, help="torch threads (CPU)")
    p.add_argument("--no-jax", action="store_true", help="only our model")
    args = p.parse_args()
    if args.threads:  # both sides: torch, and XLA (before jax is imported)
        set_threads(args.threads)
    run_cuda(args) if args.device == "cuda" else run_cpu(args)


if __name__ == "__main__":
    main()
