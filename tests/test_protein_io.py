"""PDB / mmCIF / scores output, read back with Biopython."""

import json

import numpy as np
import pytest

from reference import protein_io
from reference import residue_constants as rc

Bio_PDB = pytest.importorskip(
    "Bio.PDB", reason="biopython is needed to read structures back"
)


def _structure(seed=0):
    """Three residues (MET, GLY, TRP) with every atom37 slot their residue has."""
    rng = np.random.default_rng(seed)
    seq = "MGW"
    aatype = np.array([rc.restypes.index(a) for a in seq])
    atoms = [
        "N CA C O CB CG SD CE",
        "N CA C O",
        "N CA C O CB CG CD1 CD2 NE1 CE2 CE3 CZ2 CZ3 CH2",
    ]
    mask = np.zeros((3, 37), np.float32)
    for i, names in enumerate(atoms):
        for atom in names.split():
            mask[i, rc.atom_types.index(atom)] = 1
    pos = rng.uniform(-99, 99, (3, 37, 3)).astype(np.float32)
    plddt = np.array([95.5, 61.25, 30.0], np.float32)
    return pos, mask, aatype, plddt


def _atoms_by_id(structure):
    out = {}
    for atom in structure.get_atoms():
        res = atom.get_parent()
        out[(res.get_resname(), res.id[1], atom.get_id())] = atom
    return out


def _expected(pos, mask, aatype, plddt):
    exp = {}
    for i, t in enumerate(aatype):
        for a, name in enumerate(rc.atom_types):
            if mask[i, a]:
                exp[(rc.restype_1to3[rc.restypes[t]], i + 1, name)] = (
                    pos[i, a],
                    plddt[i],
                )
    return exp


@pytest.mark.parametrize("fmt", ["pdb", "cif"])
def test_roundtrip_with_biopython(tmp_path, fmt):
    pos, mask, aatype, plddt = _structure()
    path = tmp_path / f"x.{fmt}"
    if fmt == "pdb":
        path.write_text(protein_io.to_pdb(pos, mask, aatype, plddt))
        parser = Bio_PDB.PDBParser(QUIET=True)
    else:
        path.write_text(protein_io.to_mmcif(pos, mask, aatype, plddt))
        parser = Bio_PDB.MMCIFParser(QUIET=True)
    atoms = _atoms_by_id(parser.get_structure("x", str(path)))
    exp = _expected(pos, mask, aatype, plddt)
    assert set(atoms) == set(exp)
    for key, (xyz, b) in exp.items():
        np.testing.assert_allclose(atoms[key].coord, xyz, atol=1e-3)
        assert atoms[key].bfactor == pytest.approx(b, abs=5e-3)
        assert atoms[key].element == key[2][0]


def test_pdb_column_layout():
    pos, mask, aatype, plddt = _structure()
    pos[0, 1] = [-12.3456, 7.0, 123.4]  # MET CA
    lines = protein_io.to_pdb(pos, mask, aatype, plddt).splitlines()
    ca = lines[1]
    assert ca == (
        "ATOM      2  CA  MET A   1     -12.346   7.000 123.400  1.00 95.50"
        "           C  "
    )
    assert all(len(line) == 80 for line in lines)
    assert ca[0:6] == "ATOM  " and ca[6:11] == "    2" and ca[12:16] == " CA "
    assert ca[17:20] == "MET" and ca[21] == "A" and ca[22:26] == "   1"
    assert ca[30:38] == " -12.346" and ca[60:66] == " 95.50" and ca[76:78] == " C"
    assert lines[-2].startswith("TER      ") and lines[-2][17:26] == "TRP A   3"
    assert lines[-1].rstrip() == "END"


def test_pdb_accepts_torch_and_checks_shapes():
    torch = pytest.importorskip("torch")
    pos, mask, aatype, plddt = _structure()
    text = protein_io.to_pdb(
        torch.from_numpy(pos),
        torch.from_numpy(mask),
        torch.from_numpy(aatype),
        torch.from_numpy(plddt),
    )
    assert text == protein_io.to_pdb(pos, mask, aatype, plddt)
    with pytest.raises(ValueError, match="atom_positions"):
        protein_io.to_pdb(pos[:, :14], mask, aatype)


def test_scores_json_and_npz(tmp_path):
    rng = np.random.default_rng(1)
    plddt, pae = rng.uniform(0, 100, 7), rng.uniform(0, 31.75, (7, 7))
    json_path, npz_path = protein_io.save_scores(
        tmp_path / "scores", plddt, ptm=0.61234, pae=pae, max_pae=31.75
    )
    record = json.loads(json_path.read_text())
    assert set(record) == {"plddt", "ptm", "pae", "max_pae"}
    np.testing.assert_allclose(record["plddt"], plddt, atol=5e-3)
    np.testing.assert_allclose(record["pae"], pae, atol=5e-3)
    assert record["ptm"] == pytest.approx(0.6123)
    back = protein_io.load_scores(npz_path)
    np.testing.assert_allclose(back["pae"], pae, rtol=1e-6)
    assert float(back["ptm"]) == pytest.approx(0.61234)


def test_mmcif_numbering_and_block_name():
    pos, mask, aatype, plddt = _structure()
    text = protein_io.to_mmcif(
        pos, mask, aatype, plddt, residue_index=[10, 11, 12], name="my protein"
    )
    assert text.startswith("data_my_protein\n")
    first_atom = next(line for line in text.splitlines() if line.startswith("ATOM"))
    fields = first_atom.split()
    assert (
        fields[8] == "1" and fields[15] == "10"
    )  # label_seq_id sequential, auth_seq_id the given number


def test_note_travels_with_every_format(tmp_path):
    pos, mask, aatype, plddt = _structure()
    note = "; ".join(["predicted with random weights"] * 4)  # longer than a record
    pdb = protein_io.to_pdb(pos, mask, aatype, plddt, note=note)
    remarks = [line for line in pdb.splitlines() if line.startswith("REMARK 250 ")]
    assert len(remarks) == 2 and all(len(line) == 80 for line in pdb.splitlines())
    assert " ".join(r[11:].strip() for r in remarks) == note
    (tmp_path / "x.pdb").write_text(pdb)
    parsed = Bio_PDB.PDBParser(QUIET=True).get_structure("x", str(tmp_path / "x.pdb"))
    assert len(list(parsed.get_atoms())) == int(mask.sum())
    (tmp_path / "x.cif").write_text(protein_io.to_mmcif(pos, mask, aatype, note=note))
    cif = Bio_PDB.MMCIF2Dict.MMCIF2Dict(str(tmp_path / "x.cif"))
    assert cif["_struct.title"] == [note]
    json_path, _ = protein_io.save_scores(tmp_path / "s", plddt, note=note)
    assert json.loads(json_path.read_text())["note"] == note
    assert "note" not in json.loads(
        protein_io.save_scores(tmp_path / "t", plddt)[0].read_text()
    )
