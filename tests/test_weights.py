"""Loading ``params_model_*.npz`` into the whole model: every model parameter and every
array of the file mapped exactly once, template arrays ignored with a reason, sizes
read from the file, and errors that name the key."""

from collections import Counter

import numpy as np
import pytest
import torch

from reference.config import tiny_config
from reference.model import AlphaFold
from reference.weights import (
    IGNORED_PREFIXES,
    WeightError,
    infer_model_sizes,
    load_alphafold_params,
    plan,
)


def _layout(haiku, name, num_evoformer, num_extra, templates):
    """{key: shape} of DeepMind's file for ``name`` (from the haiku model, no arrays made)."""
    import haiku as hk
    import jax
    from af2_full_model import af2_config, processed_features, zero_prev
    from alphafold.model import modules

    cfg = af2_config(name, num_evoformer, num_extra)
    evo = cfg.model.embeddings_and_evoformer
    evo.template.enabled = evo.template.embed_torsion_angles = templates
    feats = processed_features(
        af2_config()
    )  # the data config of a model without templates
    L, T = feats["aatype"].shape[1], 2
    batch = {k: v[:1] for k, v in feats.items()}
    batch["prev"] = zero_prev(L)
    if templates:
        batch.update(
            template_aatype=np.zeros((1, T, L), np.int32),
            template_all_atom_positions=np.zeros((1, T, L, 37, 3), np.float32),
            template_all_atom_masks=np.zeros((1, T, L, 37), np.float32),
            template_mask=np.ones((1, T), np.float32),
            template_pseudo_beta=np.zeros((1, T, L, 3), np.float32),
            template_pseudo_beta_mask=np.zeros((1, T, L), np.float32),
        )
    t = hk.transform(lambda b: modules.AlphaFold(cfg.model)(b, is_training=False))
    shapes = jax.eval_shape(t.init, jax.random.PRNGKey(0), batch)
    return {f"{m}//{n}": s.shape for m, d in shapes.items() for n, s in d.items()}


def _zeros(layout):
    """Arrays of the right shapes that take no memory."""
    return {k: np.broadcast_to(np.float32(0), s) for k, s in layout.items()}


@pytest.fixture(scope="module")
def full_layout(haiku):
    """model_1_ptm at full size: 48 Evoformer blocks, 4 extra-MSA blocks, templates, pTM."""
    return _layout(haiku, "model_1_ptm", 48, 4, templates=True)


@pytest.mark.crosscheck
def test_full_file_maps_every_array_and_parameter_exactly_once(full_layout):
    arrays = _zeros(full_layout)
    assert infer_model_sizes(arrays) == {
        "N_evoformer_block": 48,
        "N_extra_block": 4,
        "ptm": True,
    }
    model = AlphaFold.from_params(
        arrays
    )  # strict: raises on any unmapped key or parameter
    used = load_alphafold_params(model, arrays)

    ignored = {k for k in arrays if any(k.startswith(p) for p in IGNORED_PREFIXES)}
    assert ignored and all("template" in k for k in ignored)
    assert set(IGNORED_PREFIXES.values()) == {"templates are not used by this model"}
    assert used == set(arrays) - ignored

    entries = plan(model, "alphafold")
    params = dict(model.named_parameters())
    # every parameter filled by exactly one (array, block) ...
    assert Counter(ours for ours, *_ in entries) == Counter(params.keys())
    # ... every (array, block) used exactly once, and every block of a stacked array used
    slots = Counter((key, index) for _, key, index, _ in entries)
    assert max(slots.values()) == 1
    for key in used:
        blocks = {index for (k, index) in slots if k == key}
        if blocks != {()}:
            assert blocks == {(i,) for i in range(arrays[key].shape[0])}, key
    assert sum(p.numel() for p in params.values()) == sum(
        int(np.prod(arrays[k].shape)) for k in used
    )


@pytest.mark.crosscheck
def test_sizes_and_heads_read_from_the_file(haiku):
    layout = _layout(haiku, "model_3", 2, 1, templates=False)
    model = AlphaFold.from_params(_zeros(layout))
    c = model.config
    assert (c.N_evoformer_block, c.N_extra_block, c.ptm) == (2, 1, False)
    assert not hasattr(model.heads, "predicted_aligned_error")


# --- errors: each names what is wrong ------------------------------------------------
def _tiny_arrays():
    """A complete (random) file for the tiny model, from the model's own plan."""
    model = AlphaFold(tiny_config())
    params = dict(model.named_parameters())
    shapes = {}
    for ours, key, index, _ in plan(model, "alphafold"):
        shape = tuple(params[ours].shape)
        if key.endswith("//weights"):  # haiku Linear layout [in, out]
            shape = shape[::-1]
        shapes[key] = (shapes.get(key, (0,))[0] + 1,) + shape if index else shape
    return model, {k: np.full(s, 0.5, np.float32) for k, s in shapes.items()}


def test_tiny_roundtrip_and_errors(tmp_path):
    model, arrays = _tiny_arrays()
    load_alphafold_params(model, arrays)
    assert all(torch.all(p == 0.5) for p in model.parameters())

    key = "alphafold/alphafold_iteration/evoformer/preprocess_1d//bias"
    missing = {k: v for k, v in arrays.items() if k != key}
    with pytest.raises(WeightError, match="preprocess_1d//bias"):
        load_alphafold_params(model, missing)

    extra = {
        **arrays,
        "alphafold/alphafold_iteration/evoformer/unknown//w": np.zeros(3),
    }
    with pytest.raises(WeightError, match="unknown//w"):
        load_alphafold_params(model, extra)

    bad = {**arrays, key: np.zeros(5, np.float32)}
    with pytest.raises(WeightError, match="preprocess_1d//bias"):
        load_alphafold_params(model, bad)

    stack = "alphafold/alphafold_iteration/evoformer/evoformer_iteration/"
    fewer = {k: v[:1] if k.startswith(stack) else v for k, v in arrays.items()}
    with pytest.raises(WeightError, match="N_evoformer_block = 1, the model 2"):
        load_alphafold_params(model, fewer)
    assert infer_model_sizes(fewer)["N_evoformer_block"] == 1

    no_pae = {k: v for k, v in arrays.items() if "predicted_aligned_error" not in k}
    with pytest.raises(WeightError, match="ptm = False, the model True"):
        load_alphafold_params(model, no_pae)

    path = tmp_path / "params_model_3_ptm.npz"
    np.savez(path, **arrays)
    load_alphafold_params(model, str(path))
    data = path.read_bytes()
    (tmp_path / "cut.npz").write_bytes(data[: len(data) // 2])
    with pytest.raises(WeightError, match="cut.npz"):
        load_alphafold_params(model, str(tmp_path / "cut.npz"))
    with pytest.raises(FileNotFoundError, match="nowhere.npz"):
        load_alphafold_params(model, str(tmp_path / "nowhere.npz"))
