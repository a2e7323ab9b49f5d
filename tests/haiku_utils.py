"""DeepMind's haiku AlphaFold2 as the independent reference for the fidelity tests.

``run_haiku`` builds a haiku module inside ``hk.transform``, gives every array random
values (``random_params``), runs it in float32 and in float64, and returns the
parameters in the flat ``params_model_*.npz`` layout together with both outputs;
``assert_matches`` compares our module with them in both precisions.

Import this module only after ``pytest.importorskip`` (see ``conftest.haiku``).
"""

from __future__ import annotations

import contextlib
import copy
from typing import Any, NamedTuple

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


def random_params(shapes, seed: int = 0, noise: float = 0.1) -> dict[str, np.ndarray]:
    """Random values for every array (flat npz layout), none of them constant: weights
    ~ N(0, 1/fan_in) + N(0, noise^2), layer-norm scales 1 + N(0, noise^2), the rest
    N(0, noise^2).

    Plain init would leave biases, layer-norm offsets and gates constant, so a dropped
    bias would still match. Layer-stacked modules (a leading block axis) take the
    fan-in of one block."""
    rng = np.random.default_rng(seed)
    flat = {}
    for module, arrays in sorted(shapes.items()):
        stacked = "/evoformer_iteration" in module or "/extra_msa_stack" in module
        for name, s in sorted(arrays.items()):
            core = s.shape[1:] if stacked else s.shape
            v = noise * rng.standard_normal(s.shape)
            if name == "scale":
                v += 1
            elif (name.endswith("weights") or name.endswith("_w")) and len(core) > 1:
                fan_in = core[0] * (
                    core[1] if name == "output_w" and len(core) == 3 else 1
                )
                v += rng.standard_normal(s.shape) / np.sqrt(fan_in)
            flat[f"{module}//{name}"] = v.astype(np.float32)
    return flat


def unflatten(flat: dict[str, np.ndarray]) -> dict[str, dict[str, np.ndarray]]:
    nested: dict[str, dict[str, np.ndarray]] = {}
    for key, v in flat.items():
        mod, name = key.split("//")
        nested.setdefault(mod, {})[name] = v
    return nested


class Both(NamedTuple):
    """A haiku module's output run in float32 and in float64 on the same parameters."""

    f32: Any
    f64: Any


def run_haiku(fn, *args, seed: int = 0, noise: float = 0.1) -> tuple[dict, Both]:
    """Random parameters for ``fn`` (a function building and calling haiku modules),
    then ``fn`` applied to ``args`` in float32 and, on the same float32 values cast up,
    in float64 (each jitted: one compile is faster than op by op); return (flat
    float32 params, ``Both`` outputs as numpy)."""
    t = hk.transform(fn)
    key = jax.random.PRNGKey(seed)
    shapes = jax.eval_shape(t.init, key, *cast(args, np.float32))
    flat = random_params(shapes, seed, noise)
    out32 = jax.jit(t.apply)(unflatten(flat), key, *cast(args, np.float32))
    with float64():
        out64 = jax.jit(t.apply)(
            unflatten(cast(flat, np.float64)), key, *cast(args, np.float64)
        )
    return flat, Both(*(jax.tree_util.tree_map(np.asarray, o) for o in (out32, out64)))


def cast(tree, dtype):
    """Every floating array of a pytree as ``dtype`` (integers stay)."""
    return jax.tree_util.tree_map(
        lambda x: (
            np.asarray(x, dtype) if np.asarray(x).dtype.kind == "f" else np.asarray(x)
        ),
        tree,
    )


# float64: both sides compute the same function, so only float64 rounding remains.
ATOL_FLOAT64 = 1e-8
# float32: ours may lose at most this many times DeepMind's own float32 error (its
# float32-vs-float64 spread on the same case), plus a few float32 ulps of the output.
SPREAD_FACTOR, SPREAD_ULPS = 4.0, 16


def assert_matches(
    module: torch.nn.Module, call, theirs: Both, atol64: float = ATOL_FLOAT64
):
    """Run ``call(t)`` with ``module`` and ``t`` (numpy -> torch) in float32, then in
    float64, and compare each output array with DeepMind's (``theirs``):

    - float64 against float64 within ``atol64``: the two models are the same function;
    - float32: our float32 error (ours float32 vs ours float64) at most
      ``SPREAD_FACTOR`` times DeepMind's own plus ``SPREAD_ULPS`` ulps. A bound derived
      from the measured spread of each side, not a fixed number at the rounding floor.
    """
    ours = {}
    for dtype in (torch.float32, torch.float64):
        module.to(dtype)

        def t(x, dtype=dtype):
            a = torch.from_numpy(np.array(x))
            return a.to(dtype) if a.is_floating_point() else a.long()

        with torch.no_grad():
            ours[dtype] = call(t)
    leaves = lambda tree: [  # noqa: E731
        x.detach().double().numpy() if torch.is_tensor(x) else np.asarray(x, np.float64)
        for x in jax.tree_util.tree_leaves(tree)
    ]
    o32, o64, h32, h64 = (
        leaves(x) for x in (ours[torch.float32], ours[torch.float64], *theirs)
    )
    assert len(o32) == len(h32), f"{len(o32)} outputs, DeepMind's module has {len(h32)}"
    for i, (a32, a64, b32, b64) in enumerate(zip(o32, o64, h32, h64)):
        assert a64.shape == b64.shape, f"output {i}: shape {a64.shape} != {b64.shape}"
        d64 = np.abs(a64 - b64).max(initial=0)
        assert d64 <= atol64, f"output {i}: float64 max |ours - haiku| = {d64:.3g}"
        ours_spread = np.abs(a32 - a64).max(initial=0)
        their_spread = np.abs(b32 - b64).max(initial=0)
        ulps = (
            SPREAD_ULPS
            * np.finfo(np.float32).eps
            * max(1.0, np.abs(b64).max(initial=0))
        )
        assert ours_spread <= SPREAD_FACTOR * their_spread + ulps, (
            f"output {i}: float32 error {ours_spread:.3g}, haiku's {their_spread:.3g}"
        )


def t32(x) -> torch.Tensor:
    """A numpy/jax array as a float32 (or integer) torch tensor."""
    a = np.asarray(x)
    return torch.from_numpy(
        a.astype(np.float32) if a.dtype.kind == "f" else a.astype(np.int64)
    )


def max_abs_diff(ours: torch.Tensor, theirs) -> float:
    return float(
        (ours.detach().double() - torch.from_numpy(np.array(theirs, np.float64)))
        .abs()
        .max()
    )


@contextlib.contextmanager
def float64():
    """jax in x64 mode, and AF2's trunk in float64: ``EmbeddingsAndEvoformer`` casts
    its activations to ``utils.half_dtype``, float32 whenever bfloat16 is off.

    The fork also clips attention logits to +-1e8 (a NaN guard DeepMind's AF2 does not
    have). In float32 that changes nothing, -1e9 + x rounds to -1e9 anyway; in
    float64 it would flatten a fully masked row's softmax, so it is lifted here."""
    import jax.numpy as jnp
    from alphafold.model import utils

    saved = utils.half_dtype, utils.logit_clip
    utils.half_dtype = lambda gc: jnp.float64
    utils.logit_clip = lambda dtype: np.inf
    jax.clear_caches()  # traces made in float32 would be reused
    try:
        with jax.enable_x64(True):
            yield
    finally:
        utils.half_dtype, utils.logit_clip = saved
        jax.clear_caches()
