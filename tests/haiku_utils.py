"""DeepMind's haiku AlphaFold2 as the independent reference for the fidelity tests.

``run_haiku`` builds a haiku module inside ``hk.transform``, initialises it, adds
noise to every array (plain init leaves biases, layer-norm offsets and gates
constant, so a dropped bias would still match), and returns the parameters in
the flat ``params_model_*.npz`` layout together with the module's output.

Import this module only after ``pytest.importorskip`` (see ``conftest.haiku``).
"""

from __future__ import annotations

import contextlib
import copy

import haiku as hk
import jax
import numpy as np
import torch
from alphafold.model import config as af_config

jax.config.update("jax_platforms", "cpu")


def model_config(name: str = "model_3_ptm", num_evoformer: int = 2, num_extra: int = 1):
    """A DeepMind model config in fp32, unfused, non-zero init, shrunk to few blocks."""
    cfg = copy.deepcopy(af_config.model_config(name))
    gc = cfg.model.global_config
    gc.zero_init = False
    gc.bfloat16 = False
    gc.deterministic = True
    gc.subbatch_size = None
    gc.use_remat = False
    evo = cfg.model.embeddings_and_evoformer
    evo.evoformer_num_block = num_evoformer
    evo.extra_msa_stack_num_block = num_extra
    evo.template.enabled = False
    for tri in ("triangle_multiplication_outgoing", "triangle_multiplication_incoming"):
        evo.evoformer[tri].fuse_projection_weights = False
    return cfg


def flatten(params: hk.Params) -> dict[str, np.ndarray]:
    """haiku's nested params -> the flat npz layout ``"<module path>//<name>"``."""
    return {
        f"{mod}//{name}": np.asarray(v)
        for mod, d in params.items()
        for name, v in d.items()
    }


def add_noise(
    flat: dict[str, np.ndarray], seed: int, scale: float = 0.1, dtype=np.float32
) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        k: (v + scale * rng.standard_normal(v.shape)).astype(dtype)
        for k, v in sorted(flat.items())
    }


def unflatten(flat: dict[str, np.ndarray]) -> dict[str, dict[str, np.ndarray]]:
    nested: dict[str, dict[str, np.ndarray]] = {}
    for key, v in flat.items():
        mod, name = key.split("//")
        nested.setdefault(mod, {})[name] = v
    return nested


def run_haiku(fn, *args, seed: int = 0, noise: float = 0.1, dtype=np.float32):
    """Initialise ``fn`` (a function building and calling haiku modules), add noise to
    every array, apply it to ``args``; return (flat params, output as numpy).
    Inputs and parameters are ``dtype`` (``np.float64`` needs ``x64()`` around)."""
    t = hk.transform(fn)
    args = tuple(
        jax.tree_util.tree_map(
            lambda x: (
                np.asarray(x, dtype)
                if np.asarray(x).dtype.kind == "f"
                else np.asarray(x)
            ),
            a,
        )
        for a in args
    )
    params = t.init(jax.random.PRNGKey(seed), *args)
    flat = add_noise(flatten(params), seed, noise, dtype)
    out = t.apply(unflatten(flat), jax.random.PRNGKey(seed), *args)
    return flat, jax.tree_util.tree_map(np.asarray, out)


def t32(x) -> torch.Tensor:
    """A numpy/jax array as a float32 (or integer) torch tensor."""
    a = np.asarray(x)
    return torch.from_numpy(
        a.astype(np.float32) if a.dtype.kind == "f" else a.astype(np.int64)
    )


def max_abs_diff(ours: torch.Tensor, theirs) -> float:
    return float(
        (ours.detach().double() - torch.from_numpy(np.asarray(theirs, np.float64)))
        .abs()
        .max()
    )


@contextlib.contextmanager
def x64():
    """jax in float64 inside this block only (traces made under the other setting are
    dropped on the way in and out)."""
    jax.clear_caches()
    try:
        with jax.enable_x64(True):
            yield
    finally:
        jax.clear_caches()


def t64(x) -> torch.Tensor:
    """A numpy/jax array as a float64 (or integer) torch tensor."""
    a = np.asarray(x)
    return torch.from_numpy(
        a.astype(np.float64) if a.dtype.kind == "f" else a.astype(np.int64)
    )
