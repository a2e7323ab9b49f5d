"""Residue constants: every table equals alphafold.common.residue_constants."""

import numpy as np
import pytest

from reference import residue_constants as rc

TABLES = [
    "restype_rigid_group_default_frame",
    "restype_atom14_to_rigid_group",
    "restype_atom14_mask",
    "restype_atom14_rigid_group_positions",
    "restype_atom37_to_rigid_group",
    "restype_atom37_mask",
    "restype_atom37_rigid_group_positions",
]


@pytest.fixture(scope="module")
def af2():
    return pytest.importorskip(
        "alphafold.common.residue_constants", reason="pip install -e '.[crosscheck]'"
    )


def test_orders_match_af2(af2):
    assert rc.restypes == af2.restypes
    assert rc.restypes_with_x == af2.restypes_with_x
    assert rc.restype_order == af2.restype_order
    assert rc.restype_1to3 == af2.restype_1to3
    assert rc.restype_3to1 == af2.restype_3to1
    assert rc.resnames_with_unk == af2.resnames
    assert rc.atom_types == af2.atom_types and rc.atom_order == af2.atom_order
    assert rc.atom_type_num == 37 and rc.unk_restype_index == 20
    assert rc.restype_name_to_atom14_names == af2.restype_name_to_atom14_names
    assert rc.MAP_HHBLITS_AATYPE_TO_OUR_AATYPE == af2.MAP_HHBLITS_AATYPE_TO_OUR_AATYPE


def test_chi_tables_match_af2(af2):
    assert rc.chi_angles_atoms == af2.chi_angles_atoms
    assert rc.chi_angles_mask.shape == (21, 4)
    assert np.array_equal(rc.chi_angles_mask[:20], np.array(af2.chi_angles_mask))
    assert not rc.chi_angles_mask[20].any()
    assert np.array_equal(rc.chi_pi_periodic, np.array(af2.chi_pi_periodic))


def test_ideal_positions_match_af2(af2):
    for res, atoms in af2.rigid_group_atom_positions.items():
        ours = {a: (g, x) for a, g, x in rc.rigid_group_atom_positions[res]}
        assert ours == {a: (g, tuple(x)) for a, g, x in atoms}, res


@pytest.mark.parametrize("name", TABLES)
def test_derived_table_matches_af2(af2, name):
    ours, theirs = getattr(rc, name), getattr(af2, name)
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-6)


def test_atom14_atom37_maps_match_af2(af2):
    from alphafold.model.tf import data_transforms  # numpy backend, no TensorFlow

    aatype = np.arange(21)
    want = data_transforms.make_atom14_masks({"aatype": aatype})
    assert np.array_equal(rc.restype_atom14_to_atom37, want["residx_atom14_to_atom37"])
    assert np.array_equal(rc.restype_atom37_to_atom14, want["residx_atom37_to_atom14"])
    assert np.array_equal(rc.restype_atom14_mask, want["atom14_atom_exists"])
    assert np.array_equal(rc.restype_atom37_mask, want["atom37_atom_exists"])


def test_maps_are_inverse():
    for r in range(20):
        for i in np.flatnonzero(rc.restype_atom14_mask[r]):
            a = rc.restype_atom14_to_atom37[r, i]
            assert rc.restype_atom37_mask[r, a]
            assert rc.restype_atom37_to_atom14[r, a] == i
    assert rc.restype_atom14_mask.sum() == rc.restype_atom37_mask.sum() == 167


def test_default_frames_are_rigid():
    M = rc.restype_rigid_group_default_frame.astype(np.float64)
    exists = np.abs(M).sum(axis=(-1, -2)) > 0
    # backbone, pre-omega, phi and psi exist for all 20 residues; chis per chi mask
    assert exists[:20, :4].all() and not exists[20].any()
    assert np.array_equal(exists[:20, 4:], rc.chi_angles_mask[:20] > 0)
    R = M[exists][:, :3, :3]
    assert np.allclose(R @ R.transpose(0, 2, 1), np.eye(3), atol=1e-6)
    assert np.allclose(np.linalg.det(R), 1, atol=1e-6)
