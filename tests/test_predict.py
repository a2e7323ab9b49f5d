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
    gapped = tmp_path / "gapped.a3m"
    gapped.write_text(">q\nMK-V\n>s\nMKAV\n")
    assert "gaps at [3]" in _error(
        capsys, [str(gapped), "--out", out, "--random-weights"]
    )


def test_random_weights_with_params_is_an_error(a3m, tmp_path, capsys):
    params = tmp_path / "params_model_1_ptm.npz"
    params.write_bytes(b"")
    err = _error(
        capsys,
        [
            str(a3m),
            "--out",
            str(tmp_path / "o"),
            "--random-weights",
            "--params",
            str(params),
        ],
    )
    assert "--random-weights" in err and "--params" in err and "exclude" in err
    assert not (tmp_path / "o").exists()


def test_threads_and_auto_chunk_size(a3m, tmp_path, capsys, monkeypatch):
    """--threads reaches torch; --chunk-size auto asks the memory model with the
    features' sizes and the free memory, and the model runs with its answer."""
    asked = {}

    def fake(L, n_clust, n_extra, free, inplace, precision):
        asked.update(L=L, n_clust=n_clust, inplace=inplace, free=free)
        return 3

    monkeypatch.setattr("reference.memory_model.auto_chunk_size", fake)
    before = torch.get_num_threads()
    chunks = []
    try:
        argv = [str(a3m), "--out", str(tmp_path), "--random-weights", "--quiet"]
        from reference.evoformer import EvoformerBlock

        real = EvoformerBlock.forward
        monkeypatch.setattr(
            EvoformerBlock,
            "forward",
            lambda self, *a, **k: chunks.append(a[-1]) or real(self, *a, **k),
        )
        assert predict.main(argv + ["--device", "cpu", "--threads", "1"]) == 0
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
    assert asked["L"] == len(QUERY) and asked["inplace"] and asked["free"] > 0
    assert set(chunks) == {3}
    assert predict.chunk_size_arg("16") == 16
    for bad in ("0", "x"):
        with pytest.raises(Exception, match="positive number or auto"):
            predict.chunk_size_arg(bad)


def test_help_states_the_real_defaults(capsys):
    from reference.config import model_config, tiny_config

    with pytest.raises(SystemExit):
        predict.parse_args(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    full, tiny = model_config().num_recycle, tiny_config().num_recycle
    assert full != tiny  # otherwise the help could not tell them apart
    assert f"default: {full}, so {full + 1} passes, with weights" in text
    assert f"{tiny}, so {tiny + 1} passes, for the small --random-weights model" in text
    assert "(default: fp32)" in text and "(default: 0)" in text


def _run(a3m_path, out, capsys):
    argv = [str(a3m_path), "--out", str(out), "--random-weights", "--device", "cpu"]
    assert predict.main(argv + ["--quiet"]) == 0
    return capsys.readouterr()


def test_unknown_letters_are_x_everywhere_and_never_dropped(tmp_path, capsys):
    """A J (or B, O, U, Z) in the query is read as X in the features and written as
    UNK in PDB and mmCIF, with every residue numbered; a one-line note says so."""
    from reference.a3m import parse_a3m
    from reference.features import build_features, make_msa_features

    query = "MKTJAYIAKBRX"  # J and B are not amino acids; X is the unknown one
    path = tmp_path / "odd.a3m"
    path.write_text(f">q\n{query}\n>s\nMKTAAYLAKQRG\n")
    run = _run(path, tmp_path / "out", capsys)
    notes = [line for line in run.err.splitlines() if line.startswith("note:")]
    assert len(notes) == 1 and "J at 4, B at 10" in notes[0], run.err

    msa = parse_a3m(path.read_text())
    predict.unknown_to_x(msa)
    assert msa.query == "MKTXAYIAKXRX"
    batch = build_features(msa, num_recycle=0, max_msa_clusters=2, max_extra_msa=1)
    x = [i for i, a in enumerate(query) if a in "JBX"]
    assert (batch["aatype"][0, x] == rc.unk_restype_index).all()
    assert (batch["target_feat"][0, x, 1 + rc.unk_restype_index] == 1).all()
    # The query's MSA row (before BERT masking): X too, not B's AF2 reading as D.
    assert (make_msa_features(msa)["msa"][0, x] == rc.unk_restype_index).all()

    three = {**{v: k for k, v in rc.restype_1to3.items()}, "UNK": "X"}
    pdb = Bio_PDB.PDBParser(QUIET=True).get_structure(
        "p", str(tmp_path / "out/odd.pdb")
    )
    cif = Bio_PDB.MMCIFParser(QUIET=True).get_structure(
        "c", str(tmp_path / "out/odd.cif")
    )
    for structure in (pdb, cif):
        residues = list(structure.get_residues())
        assert [r.id[1] for r in residues] == list(range(1, len(query) + 1))
        assert "".join(three[r.get_resname()] for r in residues) == "MKTXAYIAKXRX"
        for i in x:
            assert sorted(a.get_id() for a in residues[i]) == ["C", "CA", "N"]


def test_unknown_backbone_is_the_frame_applied_to_glycine(tmp_path, capsys):
    """``unknown_backbone`` rebuilds a glycine's N, CA, C from its frame exactly as the
    model built them: blank out the glycines, and the same atoms come back."""
    from reference.a3m import parse_a3m
    from reference.config import tiny_config
    from reference.features import build_features
    from reference.model import AlphaFold

    torch.manual_seed(0)
    model = AlphaFold(tiny_config()).eval()
    msa = parse_a3m(">q\nMGKGAGW\n>s\nMGKAAGW\n")
    batch = build_features(msa, num_recycle=0, max_msa_clusters=2, max_extra_msa=1)
    with torch.no_grad():
        out = predict.run_with_progress(model, batch, 0, progress=False)
    pos, mask = out["final_atom_positions"], out["final_atom_mask"]
    gly = batch["aatype"][0] == rc.restype_order["G"]
    blank = mask.clone()
    blank[gly] = 0
    new_pos, new_mask = predict.unknown_backbone(
        pos * blank[..., None], blank, batch["aatype"][0], out["final_frames"]
    )
    backbone = [rc.atom_order[a] for a in ("N", "CA", "C")]
    expected = torch.zeros_like(mask[gly])
    expected[:, backbone] = 1  # (O needs the psi torsion: not rebuilt)
    assert (new_mask[gly] == expected).all() and (new_mask[~gly] == mask[~gly]).all()
    torch.testing.assert_close(
        new_pos[gly][:, backbone], pos[gly][:, backbone], atol=1e-5, rtol=0
    )
    assert (new_pos[~gly] == pos[~gly]).all()


def test_random_weight_outputs_say_so(a3m, tmp_path, capsys):
    out = tmp_path / "out"
    assert "(random weights)" in _run(a3m, out, capsys).out
    pdb = (out / "toy.pdb").read_text()
    assert pdb.startswith("REMARK 250 " + predict.RANDOM_WEIGHTS_NOTE)
    cif = Bio_PDB.MMCIF2Dict.MMCIF2Dict(str(out / "toy.cif"))
    assert cif["_struct.title"] == [predict.RANDOM_WEIGHTS_NOTE]
    scores = json.loads((out / "toy_scores.json").read_text())
    assert scores["note"] == predict.RANDOM_WEIGHTS_NOTE


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
    """DeepMind's npz layout (and OpenFold's .pt), random arrays, loaded by the CLI."""
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
