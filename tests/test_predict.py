"""The prediction CLI: a smoke run with random weights, and one-line errors."""

import json
import subprocess
import sys

import numpy as np
import pytest
import torch

from reference import predict
from reference import residue_constants as rc

Bio_PDB = pytest.importorskip(
    "Bio.PDB", reason="biopython is needed to read structures back"
)

QUERY = "MKTAYIAKQRGW"


@pytest.fixture
def a3m(tmp_path):
    rng = np.random.default_rng(0)
    letters = np.array(list("ACDEFGHIKLMNPQRSTVWY-"))
    rows = [QUERY] + ["".join(rng.choice(letters, len(QUERY))) for _ in range(6)]
    rows[2] = rows[2][:4] + "ak" + rows[2][4:]  # an insertion
    path = tmp_path / "toy.a3m"
    path.write_text("#12\t1\n" + "".join(f">s{i}\n{r}\n" for i, r in enumerate(rows)))
    return path


def test_random_weights_smoke_run(a3m, tmp_path, capsys):
    out = tmp_path / "out"
    assert (
        predict.main(
            [
                str(a3m),
                "--out",
                str(out),
                "--random-weights",
                "--device",
                "cpu",
                "--recycles",
                "1",
                "--quiet",
            ]
        )
        == 0
    )
    assert "toy: 12 residues, 7 sequences" in capsys.readouterr().out
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(
        [
            "toy.pdb",
            "toy.cif",
            "toy_scores.json",
            "toy_scores.npz",
            "toy_plddt.png",
            "toy_pae.png",
            "toy_msa.png",
        ]
    )
    scores = json.loads((out / "toy_scores.json").read_text())
    assert (
        len(scores["plddt"]) == 12
        and np.array(scores["pae"]).shape == (12, 12)
        and 0 <= scores["ptm"] <= 1
    )
    structure = Bio_PDB.PDBParser(QUIET=True).get_structure("toy", str(out / "toy.pdb"))
    residues = list(structure.get_residues())
    three_to_one = {v: k for k, v in rc.restype_1to3.items()}
    assert "".join(three_to_one[r.get_resname()] for r in residues) == QUERY
    ca_b = [r["CA"].bfactor for r in residues]
    np.testing.assert_allclose(ca_b, scores["plddt"], atol=0.01)
    cif = Bio_PDB.MMCIFParser(QUIET=True).get_structure("toy", str(out / "toy.cif"))
    assert len(list(cif.get_atoms())) == len(list(structure.get_atoms()))


def _error(capsys, argv):
    assert predict.main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    return err


def test_no_params_says_where_weights_come_from(a3m, tmp_path, capsys):
    err = _error(capsys, [str(a3m), "--out", str(tmp_path)])
    assert (
        "alphafold_params_2022-12-06.tar" in err
        and "reference.download" in err
        and "--random-weights" in err
    )


def test_bad_inputs_are_one_line_errors(a3m, tmp_path, capsys):
    out = str(tmp_path / "o")
    assert "no such file" in _error(
        capsys, [str(a3m), "--out", out, "--params", str(tmp_path / "nope.npz")]
    )
    junk = tmp_path / "params_model_1_ptm.npz"
    junk.write_bytes(b"not an npz at all")
    assert "params_model_1_ptm.npz" in _error(
        capsys, [str(a3m), "--out", out, "--params", str(junk)]
    )
    wrong = tmp_path / "params_model_2_ptm.npz"
    np.savez(wrong, **{"alphafold/alphafold_iteration/foo//weights": np.zeros(3)})
    assert "params_model_2_ptm.npz" in _error(
        capsys, [str(a3m), "--out", out, "--params", str(wrong)]
    )
    bad_pt = tmp_path / "finetuning_ptm_2.pt"
    bad_pt.write_bytes(b"garbage")
    assert "OpenFold" in _error(
        capsys, [str(a3m), "--out", out, "--params", str(bad_pt)]
    )
    broken = tmp_path / "broken.a3m"
    broken.write_text(">q\nMKV\n>s\nMK\n")
    assert "broken.a3m" in _error(
        capsys, [str(broken), "--out", out, "--random-weights"]
    )
    assert "no such file" in _error(
        capsys, [str(tmp_path / "missing.a3m"), "--out", out, "--random-weights"]
    )
    assert "--model" in _error(
        capsys, [str(a3m), "--out", out, "--random-weights", "--model", "model_9"]
    )


@pytest.mark.skipif(
    torch.cuda.is_available(), reason="checks the message when CUDA is missing"
)
def test_missing_cuda_is_one_line_error(a3m, tmp_path, capsys):
    err = _error(
        capsys,
        [str(a3m), "--out", str(tmp_path), "--random-weights", "--device", "cuda"],
    )
    assert "CUDA is not available" in err


@pytest.mark.parametrize("module", [["reference.predict"], ["reference", "predict"]])
def test_module_entry_point_exits_2_without_traceback(a3m, tmp_path, module):
    run = subprocess.run(
        [sys.executable, "-m", *module, str(a3m), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert (
        run.returncode == 2
        and "Traceback" not in run.stderr
        and run.stderr.startswith("error: no weights given")
    )


@pytest.fixture(scope="module")
def small_deepmind_arrays(haiku):
    """Random arrays in DeepMind's layout (full widths, 2 + 1 blocks), small values."""
    from test_openfold_weights import _deepmind_shapes

    rng = np.random.default_rng(0)
    return {
        k: (0.02 * rng.standard_normal(s)).astype(np.float32)
        for k, s in sorted(_deepmind_shapes(haiku).items())
    }


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["npz", "pt"])
def test_params_files_through_the_cli(
    small_deepmind_arrays, a3m, tmp_path, capsys, kind
):
    """DeepMind's npz layout (and OpenFold's .pt) with random arrays, loaded by the CLI."""
    from reference.openfold_weights import deepmind_to_openfold

    arrays = small_deepmind_arrays
    if kind == "npz":
        params = tmp_path / "params_model_2_ptm.npz"
        np.savez(params, **arrays)
    else:
        params = tmp_path / "finetuning_ptm_2.pt"
        torch.save(deepmind_to_openfold(arrays), params)
    out = tmp_path / "out"
    argv = [
        str(a3m),
        "--out",
        str(out),
        "--params",
        str(params),
        "--device",
        "cpu",
        "--recycles",
        "0",
        "--quiet",
    ]
    assert predict.main(argv) == 0, capsys.readouterr().err
    scores = json.loads((out / "toy_scores.json").read_text())
    assert np.isfinite(scores["plddt"]).all() and np.isfinite(scores["ptm"])
    assert (out / "toy.pdb").stat().st_size > 0
