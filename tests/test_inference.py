"""Running the model for real: the per-pass report and its history, device and
precision choices, the model's parameters written in the file's layout and read
back, and the same run on another device (CUDA, when there is one) within float32
noise of the CPU's."""

import copy

import pytest
import torch

from grader.lesson import data_path
from reference import inference
from reference.config import tiny_config
from reference.features import build_features
from reference.model import AlphaFold
from reference.weights import WeightError, export_params, load_alphafold_params, plan

OUTPUTS = ("final_atom_positions", "plddt", "predicted_aligned_error", "ptm")
NUM_RECYCLE = 2


@pytest.fixture(scope="module")
def model():
    """The tiny model, every parameter moved off its (often constant) initial value
    (a little: larger weights turn float32 rounding into large position errors)."""
    torch.manual_seed(0)
    model = AlphaFold(tiny_config()).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.01 * torch.randn_like(p))
    return model


@pytest.fixture(scope="module")
def batch():
    """Features of the course's synthetic MSA (40 residues), one sample per pass."""
    return build_features(
        data_path("inputs", "synthetic.a3m"),
        num_recycle=NUM_RECYCLE,
        max_msa_clusters=8,
        max_extra_msa=12,
        generator=torch.Generator().manual_seed(0),
    )


def test_run_reports_every_pass(model, batch, capsys):
    out, history = inference.run(model, batch, NUM_RECYCLE)
    printed = capsys.readouterr()
    lines = [line for line in printed.out.splitlines() if line.startswith("pass ")]
    assert len(history) == len(lines) == NUM_RECYCLE + 1
    assert lines[-1].startswith(f"pass {NUM_RECYCLE + 1} of {NUM_RECYCLE + 1}: ")
    assert all(h["seconds"] > 0 for h in history)
    torch.testing.assert_close(torch.from_numpy(history[-1]["plddt"]), out["plddt"])
    assert history[-1]["ptm"] == pytest.approx(float(out["ptm"]))
    assert history[0]["mean_plddt"] != history[-1]["mean_plddt"]  # passes differ
    with torch.no_grad():
        plain = model(batch, NUM_RECYCLE)
    for k in OUTPUTS:
        torch.testing.assert_close(out[k], plain[k], rtol=0, atol=0)
    inference.run(model, batch, 0, progress=False)
    assert capsys.readouterr().out == ""


def test_device_and_precision_choices():
    assert inference.default_precision("cpu") == "fp32"
    assert inference.check_precision("bf16", "cpu") == "bf16"
    with pytest.raises(ValueError, match="NVIDIA"):
        inference.check_precision("tf32", "cpu")
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert inference.default_device().type == expected


def test_exported_params_load_back_exactly(model):
    arrays = export_params(model)
    assert set(arrays) == {key for _, key, _, _ in plan(model, "alphafold")}
    stacked = [k for k in arrays if "/evoformer_iteration/" in k]
    assert stacked and all(arrays[k].shape[0] == 2 for k in stacked)  # two blocks
    assert arrays[
        "alphafold/alphafold_iteration/evoformer/preprocess_msa//weights"
    ].shape == (
        49,
        model.config.c_m,
    )  # haiku's [in, out]
    fresh = AlphaFold(tiny_config())
    load_alphafold_params(fresh, arrays)
    for (name, p), q in zip(model.named_parameters(), fresh.parameters()):
        assert torch.equal(p, q), name
    extra = {
        **arrays,
        "alphafold/alphafold_iteration/structure_module/x//w": arrays[
            "alphafold/alphafold_iteration/evoformer/preprocess_msa//bias"
        ],
    }
    with pytest.raises(WeightError, match="structure_module/x//w"):
        load_alphafold_params(fresh, extra)


# --- the same run on another device ---------------------------------------------------
def outputs(model, batch, device, dtype, precision="fp32") -> dict[str, torch.Tensor]:
    """The last pass's confidences and positions, run on ``device`` in ``dtype``."""
    m = copy.deepcopy(model).to(device=device, dtype=dtype)
    m.config = m.config.replace(precision=precision)
    b = {
        k: v.to(device, dtype if v.is_floating_point() else v.dtype)
        for k, v in batch.items()
    }
    with torch.no_grad():
        out = m(b, NUM_RECYCLE)
    return {k: out[k].detach().double().cpu() for k in OUTPUTS}


def beyond_float32_noise(got, exact, cpu32, factor: float = 10.0) -> list[str]:
    """The outputs whose error (against the float64 run) exceeds ``factor`` times the
    CPU float32 run's error (at least float32's resolution of the output's scale)."""
    bad = []
    for k in OUTPUTS:
        noise = (cpu32[k] - exact[k]).abs().max()
        floor = torch.finfo(torch.float32).eps * exact[k].abs().max()
        error = (got[k] - exact[k]).abs().max()
        if error > factor * max(noise, floor):
            bad.append(f"{k}: error {error:.3g}, float32 noise {noise:.3g}")
    return bad


@pytest.fixture(scope="module")
def reference_runs(model, batch):
    return outputs(model, batch, "cpu", torch.float64), outputs(
        model, batch, "cpu", torch.float32
    )


def test_the_noise_bound_can_fail(model, batch, reference_runs):
    """A bf16 trunk is far outside float32 noise: the bound below can catch a device
    that computes something else."""
    exact, cpu32 = reference_runs
    assert beyond_float32_noise(cpu32, exact, cpu32) == []
    bf16 = outputs(model, batch, "cpu", torch.float32, precision="bf16")
    assert beyond_float32_noise(bf16, exact, cpu32)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device here")
def test_cuda_equals_cpu_within_float32_noise(model, batch, reference_runs):
    exact, cpu32 = reference_runs
    torch.backends.cuda.matmul.allow_tf32 = False  # plain float32 on both sides
    cuda = outputs(model, batch, "cuda", torch.float32)
    assert beyond_float32_noise(cuda, exact, cpu32) == []
