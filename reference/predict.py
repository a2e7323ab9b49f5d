"""Predict a structure from an MSA.

    python -m reference.predict MSA.a3m --params FILE --out DIR

Writes ``<name>.pdb`` and ``<name>.cif`` (pLDDT in the B-factor column),
``<name>_scores.json``/``.npz`` (pLDDT, and pTM and PAE for ``_ptm`` weights),
``<name>_plddt.png``, ``<name>_pae.png`` and ``<name>_msa.png``, where ``<name>`` is
the a3m file's name without its extension.

Weights: DeepMind's ``params_model_*.npz`` or OpenFold's ``.pt`` checkpoints
(``python -m reference.download --help`` fetches either). ``--random-weights``
runs a small random model instead, to try the pipeline in seconds on a CPU; its
outputs say so (a PDB ``REMARK``, the mmCIF title, a ``note`` in the JSON).

Query letters outside the 20 amino acids and X (B, J, O, U, Z) are read as X, the
unknown residue, in every feature (aatype, target_feat, the query's MSA row), with a
one-line note. AF2 builds no atoms for X; its backbone frame is still predicted, so
an X residue is written as UNK with the N, CA and C that frame places: no residue is
ever missing from the PDB or mmCIF.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from functools import partial
from pathlib import Path

import numpy as np
import torch

WEIGHTS_HELP = (
    "no weights given: pass --params with DeepMind's params_model_*.npz "
    "(python -m reference.download params --dest weights/, from "
    "https://storage.googleapis.com/alphafold/alphafold_params_2022-12-06.tar, "
    "CC BY 4.0) or an OpenFold .pt checkpoint "
    "(python -m reference.download openfold --dest weights/); "
    "or add --random-weights for a quick run with a small random model"
)


RANDOM_WEIGHTS_NOTE = "predicted with random weights: a smoke test, not a structure"
AMINO_ACIDS_AND_X = frozenset("ACDEFGHIKLMNPQRSTVWYX")


class PredictError(Exception):
    """A problem with the command's inputs, reported as one line (exit code 2)."""


def parse_args(argv=None) -> argparse.Namespace:
    from .config import model_config, tiny_config

    full, tiny = model_config().num_recycle, tiny_config().num_recycle
    p = argparse.ArgumentParser(
        prog="python -m reference.predict", description=__doc__.split("\n")[0]
    )
    p.add_argument("a3m", help="the MSA, query first (a3m, as ColabFold writes it)")
    p.add_argument("--params", help="params_model_*.npz (DeepMind) or *.pt (OpenFold)")
    p.add_argument(
        "--model",
        help="model preset, e.g. model_3_ptm (default: from the params file name; "
        "with --random-weights: the small test model)",
    )
    p.add_argument("--out", required=True, help="output folder (created if missing)")
    p.add_argument(
        "--device",
        default="cuda" if torch.cuda.is_available() else "cpu",
        help="torch device (default: cuda when available, else cpu)",
    )
    p.add_argument(
        "--recycles",
        type=int,
        help=f"recycling iterations after the first pass (default: {full}, so "
        f"{full + 1} passes, with weights or a --model preset; {tiny}, so {tiny + 1} "
        "passes, for the small --random-weights model)",
    )
    p.add_argument(
        "--chunk-size",
        type=chunk_size_arg,
        default="auto",
        help="rows per call in chunked layers: a number, or auto (default): the "
        "largest that fits the device's free memory by reference.memory_model",
    )
    p.add_argument(
        "--plain",
        action="store_true",
        help="the plain Evoformer blocks, which keep several copies of the pair "
        "representation, and the plain attention (default: pair updates in place, "
        "a few rows at a time, and torch's fused attention: the same numbers, "
        "faster, in a fraction of the memory)",
    )
    p.add_argument(
        "--precision",
        choices=("fp32", "tf32", "bf16"),
        default="fp32",
        help="arithmetic of the trunk; the structure module and heads stay fp32. "
        "tf32: NVIDIA tensor cores (compute capability 8.0+); bf16: half the "
        "activation memory, on CPUs without bfloat16 hardware several times slower "
        "(default: fp32)",
    )
    p.add_argument(
        "--threads",
        type=int,
        default=len(os.sched_getaffinity(0)),
        help="CPU threads of torch (default: every core this process may use, "
        f"{len(os.sched_getaffinity(0))} here)",
    )
    p.add_argument(
        "--compile",
        action="store_true",
        help="torch.compile the Evoformer and extra-MSA blocks (plain form): "
        "compiling takes minutes, reported on stderr; pays off only for long runs",
    )
    p.add_argument(
        "--seed",
        type=int,
        default=0,
        help="seed of the MSA sampling and BERT masking (default: 0)",
    )
    p.add_argument(
        "--random-weights",
        action="store_true",
        help="random weights instead of --params: a small model (smoke run), or the "
        "--model preset's size (timings)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p.parse_args(argv)


def chunk_size_arg(text: str) -> int | str:
    """``--chunk-size``: a positive number of rows, or ``auto``."""
    if text == "auto":
        return text
    try:
        rows = int(text)
    except ValueError:
        rows = 0
    if rows < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: give a positive number or auto")
    return rows


def free_memory(device: torch.device) -> int:
    """Bytes free on ``device``: CUDA's free memory, or the CPU's MemAvailable."""
    if device.type == "cuda":
        return torch.cuda.mem_get_info(device)[0]
    with open("/proc/meminfo") as f:
        line = next(line for line in f if line.startswith("MemAvailable:"))
    return int(line.split()[1]) * 1024


def resolve_device(name: str) -> torch.device:
    """The torch device, or a PredictError when it is not there."""
    try:
        device = torch.device(name)
    except RuntimeError:
        raise PredictError(f"unknown device {name!r} (try cpu or cuda)") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise PredictError(
            f"--device {name}: CUDA is not available here (use --device cpu)"
        )
    if (
        device.type == "cuda"
        and device.index is not None
        and device.index >= torch.cuda.device_count()
    ):
        raise PredictError(
            f"--device {name}: only {torch.cuda.device_count()} CUDA device(s)"
        )
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise PredictError(
            f"--device {name}: MPS is not available here (use --device cpu)"
        )
    return device


def model_name_for(params: str | None, explicit: str | None) -> str:
    """The config preset: ``--model``, else the npz name, else ``model_1[_ptm]``
    (OpenFold)."""
    if explicit:
        return explicit
    name = Path(params).name if params else ""
    if m := re.fullmatch(r"params_(model_[1-5](?:_ptm)?)\.npz", name):
        return m.group(1)
    return "model_1_ptm" if "ptm" in name or not name.endswith(".pt") else "model_1"


def build_model(args, device: torch.device):
    """``AlphaFold`` with its weights on ``device``."""
    from .config import model_config, tiny_config
    from .model import AlphaFold
    from .weights import WeightError, load_npz

    settings = dict(
        chunk_size=None if args.chunk_size == "auto" else args.chunk_size,
        precision=args.precision,
        # torch.compile traces the plain block (the in-place one loops over rows)
        inplace=not (args.plain or args.compile),
        fused_attention=not args.plain,
    )
    if args.recycles is not None:
        settings["num_recycle"] = args.recycles
    if args.random_weights:  # tiny unless a full-size preset is named (for timings)
        torch.manual_seed(args.seed)
        try:
            config = (
                model_config(args.model, **settings)
                if args.model
                else tiny_config(**settings)
            )
        except ValueError as e:
            raise PredictError(f"--model: {e}") from None
        return AlphaFold(config).to(device).eval()
    if not args.params:
        raise PredictError(WEIGHTS_HELP)
    path = Path(args.params)
    if not path.is_file():
        raise PredictError(f"--params {path}: no such file")
    try:
        # The preset only sets the extra-MSA depth; blocks and heads come from the file.
        settings["max_extra_msa"] = model_config(
            model_name_for(args.params, args.model)
        ).max_extra_msa
    except ValueError as e:
        raise PredictError(f"--model: {e}") from None
    try:
        if path.suffix == ".pt":
            from .openfold_weights import read_openfold_checkpoint

            arrays = read_openfold_checkpoint(path)
        else:
            arrays = load_npz(str(path))
        model = AlphaFold.from_params(arrays, **settings)
    except WeightError as e:
        raise PredictError(f"--params {path}: {e}") from None
    return model.to(device).eval()


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        predict(args)
    except PredictError as e:
        print("error: " + " ".join(str(e).split()), file=sys.stderr)  # always one line
        return 2
    return 0


def predict(args) -> dict[str, Path]:
    """Run the whole pipeline for parsed arguments; return the written files."""
    from . import plots, protein_io
    from .a3m import A3MError, read_a3m
    from .features import build_features

    if args.random_weights and args.params:
        raise PredictError(
            f"--random-weights and --params {args.params} exclude each other: "
            "give one of them"
        )
    # (--precision goes into the config: the model applies it)
    device = resolve_device(args.device)
    if args.threads < 1:
        raise PredictError(f"--threads {args.threads}: give at least 1")
    torch.set_num_threads(args.threads)
    try:
        msa = read_a3m(args.a3m)
    except FileNotFoundError:
        raise PredictError(f"{args.a3m}: no such file") from None
    except A3MError as e:
        raise PredictError(str(e)) from None
    if gaps := [i + 1 for i, a in enumerate(msa.query) if a == "-"]:
        raise PredictError(
            f"{args.a3m}: the query (first sequence) has gaps at {gaps[:10]}; it must "
            "be the whole protein sequence"
        )
    if note := unknown_to_x(msa):
        print(f"note: {args.a3m}: {note}", file=sys.stderr)
    model = build_model(args, device)
    config = model.config
    if args.compile:
        for block in (*model.extra_msa_stack.blocks, *model.evoformer.blocks):
            block.compile()
    generator = torch.Generator().manual_seed(args.seed)
    start = time.perf_counter()
    batch = build_features(
        msa,
        num_recycle=config.num_recycle,
        max_msa_clusters=config.max_msa_clusters,
        max_extra_msa=config.max_extra_msa,
        generator=generator,
    )
    batch = {k: v.to(device) if torch.is_tensor(v) else v for k, v in batch.items()}
    feature_s, start = time.perf_counter() - start, time.perf_counter()
    if args.chunk_size == "auto":
        model.config = config = config.replace(
            chunk_size=auto_chunk(batch, config, device)
        )
    with torch.inference_mode():
        out = run_with_progress(
            model, batch, config.num_recycle, progress=not args.quiet
        )
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    model_s = time.perf_counter() - start
    if args.compile:
        first, *later = np.diff([start, *out["pass_ends"]])
        print(
            f"torch.compile: first pass {first:.1f} s (compilation included), later "
            f"passes {np.mean(later) if later else float('nan'):.1f} s",
            file=sys.stderr,
        )
    result = _scores(out, config)
    name = Path(args.a3m).stem
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    aatype = batch["aatype"][0] if batch["aatype"].dim() > 1 else batch["aatype"]
    positions, mask = unknown_backbone(
        out["final_atom_positions"], out["final_atom_mask"], aatype, out["final_frames"]
    )
    note = RANDOM_WEIGHTS_NOTE if args.random_weights else None
    structure = (positions, mask, aatype, result["plddt"])
    files = {"pdb": out_dir / f"{name}.pdb", "cif": out_dir / f"{name}.cif"}
    files["pdb"].write_text(protein_io.to_pdb(*structure, note=note))
    files["cif"].write_text(protein_io.to_mmcif(*structure, name=name, note=note))
    files["scores"], _ = protein_io.save_scores(
        out_dir / f"{name}_scores", **result, note=note
    )
    suffix = " (random weights)" if note else ""
    figures = {"plddt": plots.plot_plddt(result["plddt"], title="pLDDT" + suffix)}
    if result.get("pae") is not None:
        figures["pae"] = plots.plot_pae(
            result["pae"], result.get("max_pae"), title="PAE" + suffix
        )
    figures["msa"] = plots.plot_msa_coverage(msa.sequences)
    for key, fig in figures.items():
        files[key] = out_dir / f"{name}_{key}.png"
        fig.savefig(files[key], dpi=100)
    mean = float(np.mean(result["plddt"]))
    ptm = f", pTM {float(result['ptm']):.3f}" if result.get("ptm") is not None else ""
    print(
        f"{name}: {len(msa.query)} residues, {len(msa)} sequences, "
        f"mean pLDDT {mean:.1f}{ptm}, "
        f"features {feature_s:.2f} s, model {model_s:.2f} s on {device}{suffix}; "
        f"wrote {out_dir}/"
    )
    return files


def auto_chunk(batch, config, device: torch.device) -> int | None:
    """The largest chunk size whose pass fits the device's free memory (by
    ``reference.memory_model``); ``None`` (no chunking) for plain blocks that fit."""
    from .memory_model import auto_chunk_size

    n_clust, n_res = batch["msa_feat"].shape[-3:-1]
    return auto_chunk_size(
        n_res,
        n_clust,
        batch["extra_msa"].shape[-2],
        free_memory(device),
        inplace=config.inplace,
        precision=config.precision,
    )


def unknown_to_x(msa) -> str | None:
    """Read the query's letters outside the 20 amino acids and X as X, in place.

    The query row of the alignment is changed, so every feature sees X (AF2 itself
    reads B, Z, U as D, E, C in the MSA rows but as X in ``aatype``). Returns a
    one-line note naming the letters and positions, or ``None`` if there were none.
    """
    query = msa.sequences[0]
    odd = [(i + 1, a) for i, a in enumerate(query) if a not in AMINO_ACIDS_AND_X]
    if not odd:
        return None
    msa.sequences[0] = "".join(a if a in AMINO_ACIDS_AND_X else "X" for a in query)
    where = ", ".join(f"{a} at {i}" for i, a in odd[:10])
    more = f" and {len(odd) - 10} more" if len(odd) > 10 else ""
    return (
        f"query letters outside the 20 amino acids read as X (unknown residue): "
        f"{where}{more}"
    )


def unknown_backbone(atom_positions, atom_mask, aatype, frames):
    """Add N, CA and C to the residues that have no atoms (X), placed by their
    predicted backbone frame with glycine's ideal backbone.

    AF2's residue constants give X no atoms, so the model returns none for it; its
    backbone frame is predicted all the same (SI Alg. 20), and N, CA, C of every
    residue are that frame applied to ideal positions (SI Alg. 24).

    atom_positions: [N_res, 37, 3] Å; atom_mask: [N_res, 37]; aatype: [N_res];
    frames: [N_res, 4, 4] the final backbone frames (Å). Returns new positions, mask.
    """
    from . import residue_constants as rc

    positions, mask = atom_positions.clone(), atom_mask.clone()
    empty = mask.sum(-1) == 0
    if not empty.any():
        return positions, mask
    backbone = [rc.atom_order[a] for a in ("N", "CA", "C")]
    glycine = torch.as_tensor(
        rc.restype_atom37_rigid_group_positions[rc.restype_order["G"]][backbone]
    ).to(positions)
    rot, trans = frames[empty, None, :3, :3], frames[empty, None, :3, 3]
    # [N_empty, 3 atoms, 3]
    placed = (rot @ glycine[None, :, :, None]).squeeze(-1) + trans
    positions[empty.nonzero(), torch.tensor(backbone)] = placed.to(positions)
    mask[empty.nonzero(), torch.tensor(backbone)] = 1
    return positions, mask


def run_with_progress(model, batch, num_recycle: int, progress: bool = True) -> dict:
    """``model(batch, num_recycle)`` with a progress bar over the passes.

    Adds ``final_frames`` [N_res, 4, 4] (Å): the last pass's backbone frames, which
    the model keeps inside its structure module (``unknown_backbone`` needs them),
    and ``pass_ends``: when each pass's structure module finished
    (``time.perf_counter``).
    """
    from tqdm.auto import tqdm

    frames, ends = {}, []

    def record(_module, _args, sm):
        frames.update(final=sm["frames"][-1])
        ends.append(time.perf_counter())

    hook = model.structure_module.register_forward_hook(record)
    bar = partial(tqdm, desc="recycling", unit="pass", disable=not progress)
    try:
        out = model(batch, num_recycle, progress=bar)
    finally:
        hook.remove()
    out["final_frames"] = frames["final"]
    out["pass_ends"] = ends
    return out


def _scores(out: dict, config) -> dict:
    """pLDDT [N_res]; pTM, PAE [N_res, N_res], max PAE when the model has the head."""
    result = {"plddt": out["plddt"]}
    if "predicted_aligned_error" in out:
        # The last PAE bin centre (31.75 Å): breaks run up to pae_max_error_bin, centres
        # lie half a step above them.
        step = config.pae_max_error_bin / (config.N_pae_bins - 2)
        max_pae = out.get(
            "max_predicted_aligned_error", config.pae_max_error_bin + 1.5 * step
        )
        result.update(
            pae=out["predicted_aligned_error"], ptm=out["ptm"], max_pae=float(max_pae)
        )
    return {
        k: v.detach().float().cpu().numpy() if torch.is_tensor(v) else v
        for k, v in result.items()
    }


if __name__ == "__main__":
    sys.exit(main())
