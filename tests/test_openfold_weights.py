"""OpenFold checkpoints: the translation table covers DeepMind's layout exactly, old
names and wrappers are understood, unknown keys are refused, and loading an OpenFold
state dict fills the model exactly as loading the npz does."""

import numpy as np
import pytest
import torch

from reference import openfold_weights as ofw
from reference.config import AlphaFoldConfig
from reference.weights import WeightError


def _deepmind_shapes(haiku, **sizes):
    """{npz key: shape} of DeepMind's full model (no templates), from haiku without computing."""
    import haiku as hk
    import jax
    import jax.numpy as jnp
    from alphafold.model import modules

    cfg = haiku.model_config("model_1_ptm", num_evoformer=2, num_extra=1)
    L, Nc, Ne = 5, 3, 4
    f32 = lambda *s: jax.ShapeDtypeStruct((1, *s), jnp.float32)  # noqa: E731
    i32 = lambda *s: jax.ShapeDtypeStruct((1, *s), jnp.int32)  # noqa: E731
    batch = dict(
        target_feat=f32(L, 22),
        msa_feat=f32(Nc, L, 49),
        msa_mask=f32(Nc, L),
        seq_mask=f32(L),
        residue_index=i32(L),
        aatype=i32(L),
        extra_msa=i32(Ne, L),
        extra_has_deletion=f32(Ne, L),
        extra_deletion_value=f32(Ne, L),
        extra_msa_mask=f32(Ne, L),
        residx_atom37_to_atom14=i32(L, 37),
        atom37_atom_exists=f32(L, 37),
        atom14_atom_exists=f32(L, 14),
        residx_atom14_to_atom37=i32(L, 14),
        msa_row_mask=f32(Nc),
        extra_msa_row_mask=f32(Ne),
        seq_length=i32(),
        bert_mask=f32(Nc, L),
        true_msa=i32(Nc, L),
    )
    init = hk.transform(
        lambda b: modules.AlphaFold(cfg.model)(b, is_training=False)
    ).init
    shapes = jax.eval_shape(init, jax.random.PRNGKey(0), batch)
    return {f"{m}//{n}": v.shape for m, d in shapes.items() for n, v in d.items()}


@pytest.fixture(scope="module")
def deepmind_arrays(haiku):
    rng = np.random.default_rng(0)
    return {
        k: rng.standard_normal(s).astype(np.float32)
        for k, s in sorted(_deepmind_shapes(haiku).items())
    }


def test_table_covers_deepmind_layout_exactly(deepmind_arrays):
    sd = ofw.deepmind_to_openfold(deepmind_arrays)
    back = ofw.openfold_to_deepmind(sd, AlphaFoldConfig())
    assert sorted(back) == sorted(deepmind_arrays)  # every array, each once
    for key, a in deepmind_arrays.items():
        assert back[key].shape == a.shape, key
        np.testing.assert_array_equal(back[key], a, err_msg=key)
    # OpenFold's own layouts: [out, in] linears, heads merged, per-block keys
    blk = "evoformer.blocks.1."
    assert sd[blk + "msa_att_row.mha.linear_q.weight"].shape == (256, 256)  # [H*c, c_m]
    assert sd[blk + "msa_att_row.mha.linear_o.weight"].shape == (256, 256)  # [c_m, H*c]
    assert sd[blk + "pair_stack.tri_att_start.linear.weight"].shape == (
        4,
        128,
    )  # [H, c_z]
    assert sd[blk + "outer_product_mean.linear_out.weight"].shape == (128, 32 * 32)
    assert sd[
        "extra_msa_stack.blocks.0.msa_att_col.global_attention.linear_k.weight"
    ].shape == (8, 64)
    assert sd["structure_module.ipa.head_weights"].shape == (12,)


def test_incoming_triangle_swaps_a_and_b(deepmind_arrays):
    sd = ofw.deepmind_to_openfold(deepmind_arrays)
    scope = "alphafold/alphafold_iteration/evoformer/evoformer_iteration/triangle_multiplication_"
    left_in = deepmind_arrays[scope + "incoming/left_projection//weights"][0]
    left_out = deepmind_arrays[scope + "outgoing/left_projection//weights"][0]
    np.testing.assert_array_equal(
        sd["evoformer.blocks.0.pair_stack.tri_mul_in.linear_b_p.weight"].numpy(),
        left_in.T,
    )
    np.testing.assert_array_equal(
        sd["evoformer.blocks.0.pair_stack.tri_mul_out.linear_a_p.weight"].numpy(),
        left_out.T,
    )


def _old_names(sd):
    """The state dict as the released checkpoints name it (older OpenFold code), in a
    Lightning-style wrapper, with template arrays that must be skipped."""
    old = {}
    for key, v in sd.items():
        key = key.replace("._msa_att.", ".").replace(".pair_stack.", ".core.")
        key = key.replace(".msa_transition.", ".core.msa_transition.").replace(
            ".outer_product_mean.", ".core.outer_product_mean."
        )
        key = key.replace("_points.linear.", "_points.")
        old["module.model." + key] = v
    old[
        "module.model.template_pair_stack.blocks.0.tri_att_start.mha.linear_q.weight"
    ] = torch.zeros(3, 3)
    old["module.model.template_angle_embedder.linear_1.weight"] = torch.zeros(3, 3)
    return {"ema": {"params": old}}


def test_old_names_wrappers_and_templates(deepmind_arrays):
    sd = ofw.deepmind_to_openfold(deepmind_arrays)
    old = _old_names(sd)
    assert (
        "module.model.evoformer.blocks.0.core.tri_mul_in.linear_a_p.weight"
        in old["ema"]["params"]
    )
    assert (
        "module.model.structure_module.ipa.linear_q_points.weight"
        in old["ema"]["params"]
    )
    assert ofw.normalise_state_dict(old).keys() == sd.keys()
    back = ofw.openfold_to_deepmind(old)
    for key, a in deepmind_arrays.items():
        np.testing.assert_array_equal(back[key], a, err_msg=key)


def test_unknown_key_is_named(deepmind_arrays):
    sd = ofw.deepmind_to_openfold(deepmind_arrays)
    sd["evoformer.blocks.0.msa_att_row.linear_extra.weight"] = torch.zeros(2, 2)
    with pytest.raises(
        WeightError, match="evoformer.blocks.0.msa_att_row.linear_extra.weight"
    ):
        ofw.openfold_to_deepmind(sd)


def test_load_openfold_params_equals_npz_path(deepmind_arrays, tmp_path):
    from reference.model import AlphaFold
    from reference.weights import load_alphafold_params

    # DeepMind's channel sizes and head counts, as many blocks as the haiku model above.
    config = AlphaFoldConfig(
        N_evoformer_block=2, N_extra_block=1, N_structure_layer=2, ptm=True
    )
    via_npz, via_openfold = AlphaFold(config), AlphaFold(config)
    load_alphafold_params(via_npz, deepmind_arrays)
    path = tmp_path / "finetuning_ptm_x.pt"
    torch.save(_old_names(ofw.deepmind_to_openfold(deepmind_arrays)), path)
    ofw.load_openfold_params(via_openfold, path)
    theirs = dict(via_openfold.named_parameters())
    for name, p in via_npz.named_parameters():
        assert torch.equal(p, theirs[name]), name


def test_bad_checkpoint_files(tmp_path):
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a checkpoint")
    with pytest.raises(WeightError, match="not a readable OpenFold"):
        ofw.read_openfold_checkpoint(junk)
    with pytest.raises(FileNotFoundError, match="missing.pt"):
        ofw.read_openfold_checkpoint(tmp_path / "missing.pt")
