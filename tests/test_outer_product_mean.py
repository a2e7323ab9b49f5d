"""OuterProductMean: DeepMind's haiku module, masks, chunking, batching."""

import pytest
import torch
from trunk_inputs import trunk_inputs

from reference.outer_product_mean import OuterProductMean
from reference.weights import load_params


def test_outer_product_mean_matches_haiku(haiku):
    from alphafold.model import modules

    cfg = haiku.model_config()
    c, gc = cfg.model.embeddings_and_evoformer.evoformer, cfg.model.global_config
    m, _, msa_mask, _ = trunk_inputs(0)

    def fn(m, msa_mask):
        mod = modules.OuterProductMean(
            c.outer_product_mean, gc, 128, name="outer_product_mean"
        )
        return mod(m, msa_mask, is_training=False)

    flat, out = haiku.run_haiku(fn, m, msa_mask)
    ours = OuterProductMean(256, 128, 32)
    load_params(ours, flat, "outer_product_mean")
    haiku.assert_matches(ours, lambda t: ours(t(m), t(msa_mask)), out)


def _small():
    m, _, msa_mask, _ = trunk_inputs(4, c_m=6)
    return (
        OuterProductMean(6, 5, 3).double(),
        torch.from_numpy(m).double(),
        torch.from_numpy(msa_mask).double(),
    )


@pytest.mark.parametrize("chunk_size", [1, 2, 5, 100])
def test_chunked_equals_unchunked(chunk_size):
    opm, m, mask = _small()
    torch.testing.assert_close(
        opm(m, mask, chunk_size), opm(m, mask), rtol=0, atol=1e-12
    )


def test_masked_sequences_do_not_count_and_batching():
    opm, m, mask = _small()
    out = opm(m, mask)
    assert out.shape == (7, 7, 5)
    m2 = m + 10 * (1 - mask)[..., None] * torch.randn_like(m)
    torch.testing.assert_close(opm(m2, mask), out)
    batched = opm(
        torch.stack([m, m2.flip(0)]), torch.stack([mask, mask.flip(0)]), chunk_size=3
    )
    torch.testing.assert_close(batched[1], out)
