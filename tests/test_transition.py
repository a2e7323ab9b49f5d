"""MSATransition and PairTransition: DeepMind's haiku Transition, chunking, batching."""

import pytest
import torch
from trunk_inputs import trunk_inputs

from reference.transition import MSATransition, PairTransition
from reference.weights import load_params


@pytest.mark.parametrize("name", ["msa_transition", "pair_transition"])
def test_transition_matches_haiku(haiku, name):
    from alphafold.model import modules

    cfg = haiku.model_config()
    c, gc = cfg.model.embeddings_and_evoformer.evoformer, cfg.model.global_config
    m, z, msa_mask, pair_mask = trunk_inputs(0)
    x, mask = (m, msa_mask) if name == "msa_transition" else (z, pair_mask)

    def fn(x, mask):
        return modules.Transition(c[name], gc, name=name)(x, mask, is_training=False)

    flat, out = haiku.run_haiku(fn, x, mask)
    ours = MSATransition(256) if name == "msa_transition" else PairTransition(128)
    load_params(ours, flat, name)
    haiku.assert_matches(ours, lambda t: ours(t(x)), out)


@pytest.mark.parametrize("chunk_size", [1, 3, 8, 100])
def test_chunked_equals_unchunked_and_batched(chunk_size):
    tr = PairTransition(5, n=3).double()
    z = torch.randn(2, 7, 9, 5, dtype=torch.float64)
    out = tr(z)
    assert out.shape == z.shape
    torch.testing.assert_close(tr(z, chunk_size), out, rtol=0, atol=1e-12)
    torch.testing.assert_close(tr(z[1]), out[1])
