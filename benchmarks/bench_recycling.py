"""The lesson-7 model end to end on a GPU: every recycling pass timed, peak memory,
several chain lengths, precisions and chunk sizes.

    python benchmarks/bench_recycling.py                          # CUDA, L = 128..1024
    python benchmarks/bench_recycling.py --lengths 256 512 1024 2048 --chunk-sizes 0 64
    python benchmarks/bench_recycling.py --params weights/params_model_1_ptm.npz
    python benchmarks/bench_recycling.py --student                # your own model
    python benchmarks/bench_recycling.py --device cpu --blocks 2 --lengths 32  # smoke

Each row is one prediction (``--recycles`` + 1 passes, AF2's 3 + 1 by default) of
one chain: the first pass (which includes CUDA's warm-up of new shapes), the median
of the later passes (the time per recycle), and the peak GPU memory
(``torch.cuda.max_memory_allocated``). The model is model_1_ptm's (48 Evoformer
blocks, 4 extra-MSA blocks) with random weights unless ``--params`` gives a file;
the features are random, ``--n-clust`` cluster rows and ``--n-extra`` extra rows of
a fresh sample per pass. A length that runs out of memory is reported and the longer
ones skipped for that setting. ``--compare-cpu`` first checks, on a small model, that
the device's float32 outputs lie within float32 noise of the CPU's.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from reference import inference  # noqa: E402
from reference.config import model_config  # noqa: E402
from reference.model import FEATURE_RANKS  # noqa: E402


def random_features(n_res, n_clust, n_extra, passes, device, seed=0) -> dict:
    """Features in AF2's layout with a leading pass dimension, random MSAs."""
    g = torch.Generator().manual_seed(seed)
    aatype = torch.randint(0, 20, (n_res,), generator=g)
    f = {
        "aatype": aatype.expand(passes, n_res),
        "residue_index": torch.arange(n_res).expand(passes, n_res),
        "seq_mask": torch.ones(passes, n_res),
        "target_feat": torch.cat(
            [torch.zeros(n_res, 1), torch.nn.functional.one_hot(aatype, 21).float()], -1
        ).expand(passes, n_res, 22),
        "msa_feat": torch.rand(passes, n_clust, n_res, 49, generator=g),
        "msa_mask": torch.ones(passes, n_clust, n_res),
        "extra_msa": torch.randint(0, 22, (passes, n_extra, n_res), generator=g),
        "extra_has_deletion": torch.zeros(passes, n_extra, n_res),
        "extra_deletion_value": torch.zeros(passes, n_extra, n_res),
        "extra_msa_mask": torch.ones(passes, n_extra, n_res),
    }
    assert set(f) == set(FEATURE_RANKS)
    return {k: v.contiguous().to(device) for k, v in f.items()}


def build_model(args, precision: str, chunk_size: int | None):
    settings = dict(precision=precision, chunk_size=chunk_size)
    if args.student:
        sys.path.insert(0, str(ROOT / "tutorials"))
        from student.model import AlphaFold
    else:
        from reference.model import AlphaFold
    if args.params:
        from reference.weights import load_npz

        return AlphaFold.from_params(load_npz(args.params), **settings)
    torch.manual_seed(0)
    return AlphaFold(
        model_config("model_1_ptm", N_evoformer_block=args.blocks, **settings)
    )


def one_row(model, n_res, args, device) -> str:
    batch = random_features(
        n_res, args.n_clust, args.n_extra, args.recycles + 1, device
    )
    if device.type == "cuda":
        torch.cuda.synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
    _, history = inference.run(model, batch, args.recycles, progress=False)
    seconds = [h["seconds"] for h in history]
    later = statistics.median(seconds[1:]) if len(seconds) > 1 else float("nan")
    peak = (
        f"{torch.cuda.max_memory_allocated(device) / 2**30:9.2f}"
        if device.type == "cuda"
        else f"{'-':>9}"
    )
    return f"{seconds[0]:10.2f} {later:12.2f} {sum(seconds):9.2f} {peak}"


def compare_with_cpu(device) -> None:
    """A small model on the device and on the CPU, against a float64 run."""
    import test_inference as t

    torch.manual_seed(0)
    model = t.AlphaFold(t.tiny_config()).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.01 * torch.randn_like(p))
    batch = t.build_features(
        t.data_path("inputs", "synthetic.a3m"),
        num_recycle=t.NUM_RECYCLE,
        max_msa_clusters=8,
        max_extra_msa=12,
        generator=torch.Generator().manual_seed(0),
    )
    exact = t.outputs(model, batch, "cpu", torch.float64)
    cpu32 = t.outputs(model, batch, "cpu", torch.float32)
    torch.backends.cuda.matmul.allow_tf32 = False
    other = t.outputs(model, batch, device, torch.float32)
    for k in t.OUTPUTS:
        noise = (cpu32[k] - exact[k]).abs().max()
        error = (other[k] - exact[k]).abs().max()
        print(f"# {k}: {device} error {error:.3g}, CPU float32 error {noise:.3g}")
    bad = t.beyond_float32_noise(other, exact, cpu32)
    print(f"# {device} vs CPU: {'within float32 noise' if not bad else bad}")


def main() -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--device", default="cuda")
    p.add_argument("--lengths", type=int, nargs="+", default=[128, 256, 512, 1024])
    p.add_argument("--precisions", nargs="+", default=["fp32", "tf32", "bf16"])
    p.add_argument(
        "--chunk-sizes", type=int, nargs="+", default=[0], help="0: no chunking"
    )
    p.add_argument("--recycles", type=int, default=3)
    p.add_argument("--blocks", type=int, default=48, help="Evoformer blocks")
    p.add_argument("--n-clust", type=int, default=128)
    p.add_argument("--n-extra", type=int, default=1024)
    p.add_argument("--params", help="a params_model_*.npz instead of random weights")
    p.add_argument("--student", action="store_true", help="time student.model")
    p.add_argument("--compare-cpu", action="store_true")
    args = p.parse_args()
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        sys.exit("no CUDA device here: run with --device cpu (and small sizes)")
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU"
    print(
        f"# {'student' if args.student else 'reference'} model, "
        f"{args.params or f'random weights, {args.blocks} Evoformer blocks'}, "
        f"{args.recycles + 1} passes, N_clust={args.n_clust}, N_extra={args.n_extra}, "
        f"{name}, torch {torch.__version__}"
    )
    if args.compare_cpu:
        compare_with_cpu(device)
    print(
        f"{'L':>6} {'precision':>9} {'chunk':>5} {'pass 1 (s)':>10} "
        f"{'per recycle':>12} {'total (s)':>9} {'peak GiB':>9}"
    )
    for precision in args.precisions:
        if precision == "tf32" and device.type != "cuda":
            continue
        for chunk in args.chunk_sizes:
            model = build_model(args, precision, chunk or None).to(device).eval()
            for n_res in args.lengths:
                head = f"{n_res:>6} {precision:>9} {chunk or '-':>5}"
                try:
                    print(f"{head} {one_row(model, n_res, args, device)}", flush=True)
                except torch.OutOfMemoryError:
                    print(f"{head} out of memory; longer chains skipped", flush=True)
                    break
                finally:
                    if device.type == "cuda":
                        torch.cuda.empty_cache()
            del model


if __name__ == "__main__":
    main()
