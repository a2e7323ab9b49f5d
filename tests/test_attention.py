"""Attention and GlobalAttention: shapes, masks, batching, and DeepMind's haiku modules."""

import numpy as np
import torch
from ml_collections import ConfigDict

from reference.attention import Attention, GlobalAttention, mask_bias
from reference.weights import load_params

B, Q, K, C_Q, C_K, C, H, C_OUT = 3, 5, 7, 11, 13, 4, 2, 9


def _mask(*shape, seed=0):
    """A 0/1 mask with some zeros, never a fully masked last axis."""
    rng = np.random.default_rng(seed)
    mask = (rng.random(shape) > 0.3).astype(np.float32)
    mask[..., 0] = 1
    return mask


def test_attention_shapes_and_batch_dims():
    att = Attention(C_Q, C_K, C, H, C_OUT).double()
    q_x, kv_x = torch.randn(2, B, Q, C_Q).double(), torch.randn(2, B, K, C_K).double()
    bias = torch.randn(2, B, H, Q, K).double()
    out = att(q_x, kv_x, [bias])
    assert out.shape == (2, B, Q, C_OUT)
    one = att(q_x[1, 2], kv_x[1, 2], [bias[1, 2]])
    torch.testing.assert_close(out[1, 2], one)


def test_attention_masked_keys_are_ignored():
    att = Attention(C_Q, C_K, C, H, C_OUT).double()
    q_x, kv_x = torch.randn(Q, C_Q).double(), torch.randn(K, C_K).double()
    mask = torch.tensor(_mask(K)).double()
    out = att(q_x, kv_x, [mask_bias(mask)])
    kv_changed = kv_x + 100 * (1 - mask)[:, None] * torch.randn(K, C_K).double()
    torch.testing.assert_close(att(q_x, kv_changed, [mask_bias(mask)]), out)
    torch.testing.assert_close(
        att(q_x[:, None], kv_x[mask.bool()][None], []).squeeze(1), out
    )


def test_global_attention_masked_rows_are_ignored():
    att = GlobalAttention(C_Q, C, H, C_OUT).double()
    m = torch.randn(B, K, C_Q).double()
    mask = torch.tensor(_mask(B, K)).double()
    out = att(m, mask)
    assert out.shape == (B, K, C_OUT)
    m2 = m + 100 * (1 - mask)[..., None] * torch.randn(B, K, C_Q).double()
    torch.testing.assert_close(att(m2, mask)[mask.bool()], out[mask.bool()])


def test_attention_matches_haiku(haiku):
    from alphafold.model import modules

    rng = np.random.default_rng(1)
    q_x, kv_x = rng.standard_normal((B, Q, C_Q)), rng.standard_normal((B, K, C_K))
    key_mask = _mask(B, K)
    pair_bias = rng.standard_normal((H, Q, K))
    cfg = ConfigDict(
        {"num_head": H, "gating": True, "key_dim": H * C, "value_dim": H * C}
    )
    gc = haiku.model_config().model.global_config

    def fn(q_x, kv_x, key_mask, pair_bias):
        bias = 1e9 * (key_mask - 1)[:, None, None, :]
        return modules.Attention(cfg, gc, C_OUT, name="attention")(
            q_x, kv_x, bias, pair_bias
        )

    flat, out = haiku.run_haiku(fn, q_x, kv_x, key_mask, pair_bias)
    ours = Attention(C_Q, C_K, C, H, C_OUT)
    load_params(ours, flat, "attention")
    haiku.assert_matches(
        ours,
        lambda t: ours(
            t(q_x), t(kv_x), [mask_bias(t(key_mask))[:, None, None, :], t(pair_bias)]
        ),
        out,
    )


def test_global_attention_matches_haiku(haiku):
    from alphafold.model import modules

    rng = np.random.default_rng(2)
    m = rng.standard_normal((B, K, C_Q))
    mask = _mask(B, K)
    cfg = ConfigDict(
        {"num_head": H, "gating": True, "key_dim": H * C, "value_dim": H * C}
    )
    gc = haiku.model_config().model.global_config

    def fn(m, mask):
        return modules.GlobalAttention(cfg, gc, C_OUT, name="attention")(
            m, m, mask[..., None]
        )

    flat, out = haiku.run_haiku(fn, m, mask)
    ours = GlobalAttention(C_Q, C, H, C_OUT)
    load_params(ours, flat, "attention")
    haiku.assert_matches(ours, lambda t: ours(t(m), t(mask)), out)
