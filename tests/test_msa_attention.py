"""MSA row attention with pair bias, column attention and global column attention:
DeepMind's haiku modules, chunking, batching."""

import pytest
import torch
from trunk_inputs import trunk_inputs

from reference.msa_attention import (
    MSAColumnAttention,
    MSAColumnGlobalAttention,
    MSARowAttentionWithPairBias,
)
from reference.weights import load_params


def _evo_config(haiku):
    cfg = haiku.model_config()
    return cfg.model.embeddings_and_evoformer.evoformer, cfg.model.global_config


def test_row_attention_matches_haiku(haiku):
    from alphafold.model import modules

    c, gc = _evo_config(haiku)
    m, z, msa_mask, _ = trunk_inputs(0)

    def fn(m, z, msa_mask):
        mod = modules.MSARowAttentionWithPairBias(
            c.msa_row_attention_with_pair_bias, gc
        )
        return mod(m, msa_mask, z, is_training=False)

    flat, out = haiku.run_haiku(fn, m, z, msa_mask)
    ours = MSARowAttentionWithPairBias(256, 128, 32, 8)
    load_params(ours, flat, "msa_row_attention_with_pair_bias")
    haiku.assert_matches(ours, lambda t: ours(t(m), t(z), t(msa_mask)), out)


def test_column_attention_matches_haiku(haiku):
    from alphafold.model import modules

    c, gc = _evo_config(haiku)
    m, _, msa_mask, _ = trunk_inputs(1)

    def fn(m, msa_mask):
        return modules.MSAColumnAttention(c.msa_column_attention, gc)(
            m, msa_mask, is_training=False
        )

    flat, out = haiku.run_haiku(fn, m, msa_mask)
    ours = MSAColumnAttention(256, 32, 8)
    load_params(ours, flat, "msa_column_attention")
    haiku.assert_matches(ours, lambda t: ours(t(m), t(msa_mask)), out)


def test_column_global_attention_matches_haiku(haiku):
    from alphafold.model import modules

    c, gc = _evo_config(haiku)
    m, _, msa_mask, _ = trunk_inputs(2, c_m=64)

    def fn(m, msa_mask):
        mod = modules.MSAColumnGlobalAttention(c.msa_column_attention, gc)
        return mod(m, msa_mask, is_training=False)

    flat, out = haiku.run_haiku(fn, m, msa_mask)
    ours = MSAColumnGlobalAttention(64, 8, 8)
    load_params(ours, flat, "msa_column_global_attention")
    haiku.assert_matches(ours, lambda t: ours(t(m), t(msa_mask)), out)


def _small():
    m, z, msa_mask, _ = trunk_inputs(3, c_m=6, c_z=4)
    return [torch.from_numpy(x).double() for x in (m, z, msa_mask)]


def _modules():
    return {
        "row": (
            MSARowAttentionWithPairBias(6, 4, 3, 2).double(),
            lambda mod, m, z, mask, cs: mod(m, z, mask, cs),
        ),
        "column": (
            MSAColumnAttention(6, 3, 2).double(),
            lambda mod, m, z, mask, cs: mod(m, mask, cs),
        ),
        "global": (
            MSAColumnGlobalAttention(6, 3, 2).double(),
            lambda mod, m, z, mask, cs: mod(m, mask, cs),
        ),
    }


@pytest.mark.parametrize("name", ["row", "column", "global"])
@pytest.mark.parametrize("chunk_size", [1, 2, 4])
def test_chunked_equals_unchunked(name, chunk_size):
    mod, call = _modules()[name]
    m, z, mask = _small()
    torch.testing.assert_close(
        call(mod, m, z, mask, chunk_size),
        call(mod, m, z, mask, None),
        rtol=0,
        atol=1e-12,
    )


@pytest.mark.parametrize("name", ["row", "column", "global"])
def test_batched_equals_unbatched(name):
    mod, call = _modules()[name]
    m, z, mask = _small()
    m2, z2 = torch.stack([m, m.flip(0)]), torch.stack([z, z.transpose(0, 1)])
    mask2 = torch.stack([mask, mask.flip(0)])
    out = call(mod, m2, z2, mask2, 2)
    torch.testing.assert_close(
        out[1], call(mod, m.flip(0), z.transpose(0, 1), mask.flip(0), None)
    )
