"""DeepMind's full haiku model on one small real MSA, for the model and weight tests.

``make_case(tmp_dir)`` builds the features once with the fork's own pipeline
(``pipeline.make_sequence_features`` + ``make_msa_features`` ->
``features.np_example_to_features``), random parameters in the exact
``params_model_*.npz`` layout (saved under ``tmp_dir``), and runs
``modules.AlphaFold`` pass by pass from Python, feeding ``prev`` itself (the
fork's ``AlphaFold`` runs one pass per call; SI Alg. 2 as a loop here).

Import only after the ``haiku`` fixture (needs the crosscheck extra).
"""

from __future__ import annotations

from pathlib import Path

import haiku as hk
import jax
import numpy as np
from alphafold.data import parsers, pipeline
from alphafold.model import features as af_features
from alphafold.model import modules
from haiku_utils import (
    Both,
    cast,
    float64,
    model_config,
    random_params,
    unflatten,
)

SHARED_A3M = (
    Path(__file__).resolve().parents[2] / "shared" / "data" / "tautomerase_2op8.a3m"
)
N_SEQUENCES = 12  # fewer than clusters + extra rows: padded extra rows are present
MAX_MSA_CLUSTERS, MAX_EXTRA_MSA = 8, 12
NUM_RECYCLE = 2
# Large noise blows the activations up (|pair| ~ 80 with noise 0.1), and then the
# structure module turns float32 rounding into ~1e-2 Å (our own float32 and float64
# runs differ that much). With 0.01 float32 and float64 differ by ~1e-3 Å.
FULL_MODEL_NOISE = 0.01


def small_msa(n: int = N_SEQUENCES) -> str:
    """The first ``n`` sequences of a real ColabFold MSA, or a synthetic one (with
    insertions and gaps) when the shared data are not beside the checkout."""
    if SHARED_A3M.exists():
        lines, count = [], 0
        for line in SHARED_A3M.read_text().splitlines():
            if line.startswith("#"):  # ColabFold's "#L 1" header
                continue
            count += line.startswith(">")
            if count > n:
                break
            lines.append(line)
        return "\n".join(lines)
    rng = np.random.default_rng(7)
    aa = np.array(list("ACDEFGHIKLMNPQRSTVWY"))
    query = rng.choice(aa, 45)
    rows = [">query", "".join(query)]
    for i in range(1, n):
        row = [rng.choice(aa) if rng.random() < 0.3 else c for c in query]
        row = ["-" if rng.random() < 0.1 else c for c in row]
        row = [c + ("kl" if rng.random() < 0.05 else "") for c in row]
        rows += [f">seq{i}", "".join(row)]
    return "\n".join(rows)


def af2_config(name: str = "model_3_ptm", num_evoformer: int = 2, num_extra: int = 1):
    cfg = model_config(name, num_evoformer=num_evoformer, num_extra=num_extra)
    cfg.data.eval.max_msa_clusters = MAX_MSA_CLUSTERS
    cfg.data.common.max_extra_msa = MAX_EXTRA_MSA
    cfg.data.common.num_recycle = NUM_RECYCLE
    cfg.model.num_recycle = NUM_RECYCLE
    return cfg


def processed_features(cfg, seed: int = 0) -> dict[str, np.ndarray]:
    """The features of every pass, leading dimension ``NUM_RECYCLE + 1``."""
    msa = parsers.parse_a3m(small_msa())
    query = msa.sequences[0]
    raw = {
        **pipeline.make_sequence_features(query, "query", len(query)),
        **pipeline.make_msa_features([msa]),
    }
    return af_features.np_example_to_features(raw, cfg, random_seed=seed)


def run_jitted(fn, *args, seed: int = 0) -> tuple[dict, Both]:
    """Like ``haiku_utils.run_haiku``, faster for big modules: shapes from
    ``jax.eval_shape`` (no init run), ``random_params``, one jitted apply in float32
    and one in float64."""
    t = hk.transform(fn)
    key = jax.random.PRNGKey(seed)
    flat = random_params(jax.eval_shape(t.init, key, *args), seed)
    out32 = jax.jit(t.apply)(unflatten(flat), key, *args)
    with float64():
        out64 = jax.jit(t.apply)(
            unflatten(cast(flat, np.float64)), key, *cast(args, np.float64)
        )
    return flat, Both(*(jax.tree_util.tree_map(np.asarray, o) for o in (out32, out64)))


def zero_prev(num_res: int) -> dict[str, np.ndarray]:
    return {
        "prev_msa_first_row": np.zeros((num_res, 256), np.float32),
        "prev_pair": np.zeros((num_res, num_res, 128), np.float32),
        "prev_pos": np.zeros((num_res, 37, 3), np.float32),
    }


def make_case(
    tmp_dir: Path,
    name: str = "model_3_ptm",
    num_evoformer: int = 2,
    num_extra: int = 1,
    run: bool = True,
):
    """Features, an npz path, and (with ``run``) haiku's output of the last pass, in
    float32 and in float64 (the same float32 parameters cast up) as ``Both``."""
    cfg = af2_config(name, num_evoformer, num_extra)
    feats = processed_features(cfg)
    num_res = feats["aatype"].shape[1]

    def fn(batch):
        return modules.AlphaFold(cfg.model)(
            batch, is_training=False, return_representations=True
        )

    t = hk.transform(fn)

    def pass_batch(feats, r, prev):
        return {**{k: v[r : r + 1] for k, v in feats.items()}, "prev": prev}

    key = jax.random.PRNGKey(0)
    shapes = jax.eval_shape(t.init, key, pass_batch(feats, 0, zero_prev(num_res)))
    flat = random_params(shapes, noise=FULL_MODEL_NOISE)
    path = Path(tmp_dir) / f"params_{name}.npz"
    np.savez(path, **flat)
    case = {"features": feats, "path": path, "flat": flat}

    def last_pass(params, feats, prev):
        apply = jax.jit(t.apply)
        for r in range(NUM_RECYCLE + 1):  # SI Alg. 2, driven pass by pass
            ret = apply(params, key, pass_batch(feats, r, prev))
            prev = ret["prev"]
        return jax.tree_util.tree_map(np.asarray, ret)

    if run:
        inputs = (unflatten(flat), feats, zero_prev(num_res))
        out32 = last_pass(*inputs)
        with float64():
            out64 = last_pass(*cast(inputs, np.float64))
        case["haiku"] = Both(out32, out64)
    return case
