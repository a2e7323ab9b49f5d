"""Attention through torch's scaled_dot_product_attention (``Attention.fused``) computes
what the plain attention computes: float64 to rounding, float32 within the plain
attention's own float32 spread; autograd keeps the plain path; the whole model with
``fused_attention`` and ``inplace``."""

import pytest
import torch
from test_low_memory import _noisy, first_pass_float64

from reference.attention import Attention, mask_bias
from reference.config import tiny_config
from reference.model import AlphaFold


def _case(dtype, batch=(), gating=True, seed=0):
    """An attention module, q_x [*, 5, Q, c_q], kv_x, and biases: a key mask with a
    fully masked row and padding keys, and a per-head bias shared across rows."""
    g = torch.Generator().manual_seed(seed)
    att = _noisy(Attention(6, 4, 3, 2, 7, gating=gating).to(dtype), seed)
    q_x = torch.randn(*batch, 5, 9, 6, generator=g, dtype=dtype)
    kv_x = torch.randn(*batch, 5, 11, 4, generator=g, dtype=dtype)
    mask = (torch.rand(*batch, 5, 11, generator=g) > 0.3).to(dtype)
    mask[..., 0, :] = 0  # a fully masked row
    mask[..., -1] = 0  # a padding key
    pair = torch.randn(*batch, 1, 2, 9, 11, generator=g, dtype=dtype)
    return att, q_x, kv_x, (mask_bias(mask)[..., None, None, :], pair)


@pytest.mark.parametrize("n_bias", [0, 1, 2])
@pytest.mark.parametrize("batch, gating", [((), True), ((3,), True), ((), False)])
def test_fused_equals_plain_float64(n_bias, batch, gating):
    att, q_x, kv_x, biases = _case(torch.float64, batch, gating)
    biases = biases[:n_bias]
    plain = att(q_x, kv_x, biases)
    att.fused = True
    with torch.no_grad():
        fused = att(q_x, kv_x, biases)
    # measured: up to 7e-16 apart (the fully masked row included)
    torch.testing.assert_close(fused, plain.detach(), rtol=0, atol=1e-12)


def test_fused_float32_within_plain_spread():
    """Measured (3 seeds), off the fully masked row: plain float32 vs float64
    1.0-1.8e-7 on |o| ~ 1, fused 1.2-2.4e-7 (at most 1.5x plain's). On that row
    (-1e9 in float32 swamps the logits) both are 0.5-1.4 off, identically."""
    att, q_x, kv_x, biases = _case(torch.float64, seed=1)
    exact = att(q_x, kv_x, biases).detach()
    att.float()
    args = [q_x.float(), kv_x.float(), [b.float() for b in biases]]
    with torch.no_grad():
        plain = att(*args)
        att.fused = True
        fused = att(*args)
    kept = slice(1, None)  # the rows with a key
    spread = (plain[kept].double() - exact[kept]).abs().max()
    assert (fused[kept].double() - exact[kept]).abs().max() <= 3 * spread


def test_autograd_keeps_the_plain_path(monkeypatch):
    att, q_x, kv_x, biases = _case(torch.float64)
    att.fused = True
    monkeypatch.setattr(
        torch.nn.functional,
        "scaled_dot_product_attention",
        lambda *a, **k: pytest.fail("fused attention under autograd"),
    )
    att(q_x, kv_x, biases).sum().backward()


def test_model_fast_paths_equal_plain_float64():
    plain = _noisy(AlphaFold(tiny_config()).double(), seed=3).eval()
    fast = AlphaFold(tiny_config(inplace=True, fused_attention=True, chunk_size=2))
    fast = fast.double().eval()
    fast.load_state_dict(plain.state_dict())
    assert all(m.fused for m in fast.modules() if isinstance(m, Attention))
    f = first_pass_float64()
    with torch.inference_mode():
        a, b = plain.forward_pass(f), fast.forward_pass(f)
    for k in ("pair", "single", "final_atom_positions", "plddt"):
        torch.testing.assert_close(b[k], a[k], rtol=0, atol=1e-8)
