"""Triangle multiplication (outgoing, incoming) and triangle attention (starting,
ending node): DeepMind's haiku modules, chunking, batching; each variant fails the
other's fidelity test."""

import pytest
import torch
from trunk_inputs import trunk_inputs

from reference.triangle_attention import (
    TriangleAttentionEndingNode,
    TriangleAttentionStartingNode,
)
from reference.triangle_multiplication import (
    TriangleMultiplicationIncoming,
    TriangleMultiplicationOutgoing,
)
from reference.weights import load_params

OURS = {
    "triangle_multiplication_outgoing": TriangleMultiplicationOutgoing,
    "triangle_multiplication_incoming": TriangleMultiplicationIncoming,
    "triangle_attention_starting_node": TriangleAttentionStartingNode,
    "triangle_attention_ending_node": TriangleAttentionEndingNode,
}
OTHER = {
    "triangle_multiplication_outgoing": "triangle_multiplication_incoming",
    "triangle_multiplication_incoming": "triangle_multiplication_outgoing",
    "triangle_attention_starting_node": "triangle_attention_ending_node",
    "triangle_attention_ending_node": "triangle_attention_starting_node",
}


def _haiku_run(haiku, name):
    from alphafold.model import modules

    cfg = haiku.model_config()
    c, gc = cfg.model.embeddings_and_evoformer.evoformer, cfg.model.global_config
    _, z, _, pair_mask = trunk_inputs(0)
    pair_mask[2, 4] = 0  # one more masked edge, not symmetric
    cls = (
        modules.TriangleMultiplication
        if "multiplication" in name
        else modules.TriangleAttention
    )

    def fn(z, pair_mask):
        return cls(c[name], gc, name=name)(z, pair_mask, is_training=False)

    flat, out = haiku.run_haiku(fn, z, pair_mask)
    return flat, out, z, pair_mask


@pytest.mark.parametrize("name", list(OURS))
def test_triangle_matches_haiku_and_not_the_other_variant(haiku, name):
    flat, out, z, pair_mask = _haiku_run(haiku, name)
    ours = OURS[name](128)
    load_params(ours, flat, name)
    haiku.assert_matches(ours, lambda t: ours(t(z), t(pair_mask)), out)
    other = OURS[OTHER[name]](128)
    load_params(
        other, {k.replace(name, OTHER[name]): v for k, v in flat.items()}, OTHER[name]
    )
    t = haiku.t32
    assert haiku.max_abs_diff(other(t(z), t(pair_mask)), out.f32) > 1e-2


def _small(seed=5):
    _, z, _, pair_mask = trunk_inputs(seed, c_z=6)
    pair_mask[2, 4] = 0
    return torch.from_numpy(z).double(), torch.from_numpy(pair_mask).double()


@pytest.mark.parametrize(
    "cls", [TriangleAttentionStartingNode, TriangleAttentionEndingNode]
)
@pytest.mark.parametrize("chunk_size", [1, 3, 100])
def test_triangle_attention_chunked_equals_unchunked(cls, chunk_size):
    att = cls(6, 3, 2).double()
    z, mask = _small()
    torch.testing.assert_close(
        att(z, mask, chunk_size), att(z, mask), rtol=0, atol=1e-12
    )


@pytest.mark.parametrize("name", list(OURS))
def test_batched_equals_unbatched(name):
    mod = OURS[name](6, 3).double()
    z, mask = _small()
    z2, mask2 = _small(6)
    batched = mod(torch.stack([z, z2]), torch.stack([mask, mask2]))
    torch.testing.assert_close(batched[1], mod(z2, mask2))
    torch.testing.assert_close(batched[0], mod(z, mask))
