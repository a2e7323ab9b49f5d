"""Evoformer block, extra-MSA block and stacks against DeepMind's haiku model (the
stacks load a layer-stacked npz), weight mapping exactly once, chunking, batching."""

import numpy as np
import pytest
import torch
from trunk_inputs import SMALL, trunk_inputs

from reference.evoformer import EvoformerBlock, EvoformerStack
from reference.extra_msa_stack import ExtraMsaBlock, ExtraMsaStack
from reference.weights import WeightError, load_params, plan


def _config(haiku, opm_first=False):
    cfg = haiku.model_config()
    c = cfg.model.embeddings_and_evoformer.evoformer
    c.outer_product_mean.first = opm_first
    return c, cfg.model.global_config


def _iteration(haiku, is_extra_msa, opm_first=False):
    """(a function building AF2's EvoformerIteration, its scope name)."""
    from alphafold.model import modules

    c, gc = _config(haiku, opm_first)
    name = "extra_msa_stack" if is_extra_msa else "evoformer_iteration"
    return lambda: modules.EvoformerIteration(
        c, gc, is_extra_msa=is_extra_msa, name=name
    ), name


def _apply(it, m, z, msa_mask, pair_mask):
    out = it(
        {"msa": m, "pair": z}, {"msa": msa_mask, "pair": pair_mask}, is_training=False
    )
    return out["msa"], out["pair"]


@pytest.mark.parametrize("opm_first", [False, True])
def test_evoformer_block_matches_haiku(haiku, opm_first):
    make, name = _iteration(haiku, is_extra_msa=False, opm_first=opm_first)
    inputs = trunk_inputs(0)
    flat, out = haiku.run_haiku(lambda *a: _apply(make(), *a), *inputs)
    ours = EvoformerBlock(outer_product_mean_first=opm_first)
    load_params(ours, flat, name)
    haiku.assert_matches(ours, lambda t: ours(*map(t, inputs)), out)


def test_extra_msa_block_matches_haiku(haiku):
    make, name = _iteration(haiku, is_extra_msa=True)
    inputs = trunk_inputs(1, c_m=64, n_seq=9)
    flat, out = haiku.run_haiku(lambda *a: _apply(make(), *a), *inputs)
    ours = ExtraMsaBlock()
    load_params(ours, flat, name)
    haiku.assert_matches(ours, lambda t: ours(*map(t, inputs)), out)


def _stacked(haiku, is_extra_msa, n_block, inputs):
    """Run ``n_block`` haiku iterations with ``layer_stack`` inside a module named
    ``evoformer``, as ``EmbeddingsAndEvoformer`` does; return (flat npz, output)."""
    import haiku as hk
    from alphafold.model import layer_stack

    make, _ = _iteration(haiku, is_extra_msa)

    class Evoformer(hk.Module):
        def __call__(self, m, z, msa_mask, pair_mask):
            # built outside the stacked function, as AF2 does: no extra scope
            it = make()
            return layer_stack.layer_stack(n_block)(
                lambda m, z: _apply(it, m, z, msa_mask, pair_mask)
            )(m, z)

    return haiku.run_haiku(lambda *a: Evoformer(name="evoformer")(*a), *inputs)


@pytest.fixture(scope="module")
def evoformer_npz(haiku):
    inputs = trunk_inputs(2)
    flat, out = _stacked(haiku, False, 2, inputs)
    return flat, out, inputs


def test_evoformer_stack_matches_haiku(haiku, evoformer_npz):
    flat, out, inputs = evoformer_npz
    assert flat["evoformer/evoformer_iteration/outer_product_mean//output_b"].shape == (
        2,
        128,
    )
    ours = EvoformerStack(N_block=2)
    load_params(ours, flat, "evoformer")
    haiku.assert_matches(ours, lambda t: ours(*map(t, inputs)), out)


def test_extra_msa_stack_matches_haiku(haiku):
    inputs = trunk_inputs(3, c_m=64, n_seq=9)
    flat, out = _stacked(haiku, True, 2, inputs)
    ours = ExtraMsaStack(N_block=2)
    load_params(ours, flat, "evoformer")
    z_only = haiku.Both(*(z for _, z in out))  # the extra-MSA stack returns z only
    haiku.assert_matches(ours, lambda t: ours(*map(t, inputs)), z_only)


def test_every_parameter_and_every_array_mapped_exactly_once(evoformer_npz):
    flat = evoformer_npz[0]
    stack = EvoformerStack(N_block=2)
    entries = plan(stack, "evoformer")
    ours = [e[0] for e in entries]
    arrays = [(key, index[:1]) for _, key, index, _ in entries]
    assert sorted(ours) == sorted(name for name, _ in stack.named_parameters())
    assert len(set(ours)) == len(ours)
    assert len(set(arrays)) == len(arrays)  # each (array, block) feeds one parameter
    assert {key for key, _ in arrays} == set(flat)
    assert sum(p.numel() for p in stack.parameters()) == sum(
        v.size for v in flat.values()
    )
    assert load_params(stack, flat, "evoformer") == set(flat)  # strict


def test_loading_is_strict(evoformer_npz):
    flat = evoformer_npz[0]
    missing = dict(flat)
    del missing["evoformer/evoformer_iteration/msa_transition/transition1//bias"]
    with pytest.raises(WeightError, match="transition1//bias"):
        load_params(EvoformerStack(N_block=2), missing, "evoformer")
    extra = {
        **flat,
        "evoformer/evoformer_iteration/unknown//w": np.zeros(2, np.float32),
    }
    with pytest.raises(WeightError, match="unknown"):
        load_params(EvoformerStack(N_block=2), extra, "evoformer")
    with pytest.raises(WeightError, match="blocks"):
        load_params(EvoformerStack(N_block=3), flat, "evoformer")


def _small_inputs(seed=4):
    return [torch.from_numpy(x).double() for x in trunk_inputs(seed, c_m=6, c_z=4)]


@pytest.mark.parametrize("cls", [EvoformerBlock, ExtraMsaBlock])
@pytest.mark.parametrize("chunk_size", [1, 3])
def test_block_chunked_equals_unchunked(cls, chunk_size):
    block = cls(6, 4, **SMALL).double()
    inputs = _small_inputs()
    for a, b in zip(block(*inputs, chunk_size=chunk_size), block(*inputs)):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-10)


def test_stacks_batched_equal_unbatched():
    stack, extra = (
        EvoformerStack(2, 6, 4, **SMALL).double(),
        ExtraMsaStack(2, 6, 4, **SMALL).double(),
    )
    one, two = _small_inputs(4), _small_inputs(5)
    batched = [torch.stack(pair) for pair in zip(one, two)]
    m, z = stack(*batched, chunk_size=2)
    m2, z2 = stack(*two)
    torch.testing.assert_close(m[1], m2)
    torch.testing.assert_close(z[1], z2)
    torch.testing.assert_close(extra(*batched)[0], extra(*one))
