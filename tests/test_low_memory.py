"""The in-place block (low_memory.py) computes what the plain block computes: float64
to rounding, float32 within the plain block's own float32 spread; inputs unchanged;
autograd keeps the plain path; the whole model with ``inplace=True``."""

import pytest
import torch
from test_model import synthetic_features
from trunk_inputs import SMALL, trunk_inputs

from reference.config import tiny_config
from reference.evoformer import EvoformerBlock
from reference.extra_msa_stack import ExtraMsaBlock
from reference.low_memory import evoformer_block_inplace
from reference.model import AlphaFold


def first_pass_float64() -> dict:
    """The first pass's slice of ``synthetic_features``, float64."""
    return {
        k: v[0].double() if v.is_floating_point() else v[0]
        for k, v in synthetic_features().items()
    }


def _noisy(module, seed=0, scale=0.3):
    """Every parameter moved off its plain init (so a dropped bias shows)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.add_(scale * torch.randn(p.shape, generator=g, dtype=p.dtype))
    return module


def _inputs(seed, c_m=6, c_z=4, dtype=torch.float64):
    return [torch.from_numpy(x).to(dtype) for x in trunk_inputs(seed, c_m, c_z)]


@pytest.mark.parametrize(
    "cls, opm_first",
    [(EvoformerBlock, False), (EvoformerBlock, True), (ExtraMsaBlock, False)],
)
@pytest.mark.parametrize("rows", [None, 1, 2, 5])
def test_inplace_equals_plain_float64(cls, opm_first, rows):
    block = _noisy(cls(6, 4, outer_product_mean_first=opm_first, **SMALL).double())
    inputs = _inputs(4)
    copies = [x.clone() for x in inputs]
    with torch.no_grad():
        plain = block(*inputs)
        fast = evoformer_block_inplace(block, *inputs, chunk_size=rows)
    for a, b in zip(fast, plain):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-12)
    for x, c in zip(inputs, copies):
        assert torch.equal(x, c)  # the inputs are left unchanged


def test_inplace_batched_equals_unbatched():
    block = _noisy(EvoformerBlock(6, 4, **SMALL).double())
    one, two = _inputs(4), _inputs(5)
    batched = [torch.stack(pair) for pair in zip(one, two)]
    with torch.no_grad():
        m, z = evoformer_block_inplace(block, *batched, chunk_size=3)
        m2, z2 = block(*two)
    torch.testing.assert_close(m[1], m2, rtol=0, atol=1e-12)
    torch.testing.assert_close(z[1], z2, rtol=0, atol=1e-12)


def test_flag_selects_inplace_only_without_autograd(monkeypatch):
    block = EvoformerBlock(6, 4, **SMALL).double()
    block.inplace = True
    calls = []
    monkeypatch.setattr(
        "reference.evoformer.evoformer_block_inplace",
        lambda *a, **k: calls.append(1) or evoformer_block_inplace(*a, **k),
    )
    inputs = _inputs(4)
    block(*inputs)  # autograd on: the plain path
    assert calls == []
    with torch.inference_mode():
        block(*inputs)
    assert calls == [1]


def test_inplace_float32_full_size_within_plain_spread():
    """AF2's channel sizes in float32: the in-place block is no farther from the
    float64 result than the plain float32 block is, up to 1e-5 of the values.
    Measured (3 seeds): plain float32 vs float64 up to 0.3 on m (the padding row:
    -1e9 biases in float32) and 7e-3 on z (|z| ~ 80); in place vs plain 0."""
    block = _noisy(EvoformerBlock(), seed=1, scale=0.02)
    inputs = _inputs(2, c_m=256, c_z=128, dtype=torch.float32)
    with torch.no_grad():
        exact = block.double()(*[x.double() for x in inputs])
        block.float()
        plain = block(*inputs)
        fast = evoformer_block_inplace(block, *inputs, chunk_size=2)
    for f, p, e in zip(fast, plain, exact):
        spread = (p.double() - e).abs().max()
        assert (f.double() - e).abs().max() <= spread + 1e-5 * e.abs().max()


def test_model_inplace_equals_plain_float64():
    torch.manual_seed(0)
    plain = _noisy(AlphaFold(tiny_config()).double(), seed=2).eval()
    fast = AlphaFold(tiny_config(inplace=True, chunk_size=3)).double().eval()
    fast.load_state_dict(plain.state_dict())
    assert all(b.inplace for b in fast.evoformer.blocks)
    f = first_pass_float64()
    with torch.inference_mode():
        a, b = plain.forward_pass(f), fast.forward_pass(f)
    for k in ("pair", "single", "final_atom_positions", "plddt"):
        torch.testing.assert_close(b[k], a[k], rtol=0, atol=1e-10)
