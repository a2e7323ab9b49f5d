"""Ideal chains from φ/ψ: torsions come back; helix and strand look as they should."""

import math

import pytest
import torch

from reference import residue_constants as rc
from reference.ideal_backbone import (
    ALPHA_HELIX,
    BETA_STRAND,
    build_backbone,
    dihedral,
    ideal_chain,
    place_atom,
)

F64 = torch.float64


def _chain(phi_psi, n=19, dtype=F64):
    phi = torch.full((n,), math.radians(phi_psi[0]), dtype=dtype)
    psi = torch.full((n,), math.radians(phi_psi[1]), dtype=dtype)
    return phi, psi


def test_dihedral_sign_convention():
    # IUPAC: looking from b to c, a at +x and d at +z is a -90 degree torsion
    a, b, c = torch.tensor([[1.0, 0, 0], [0, 0, 0], [0, 1, 0]], dtype=F64)
    d = torch.tensor([0, 1, 1.0], dtype=F64)
    assert dihedral(a, b, c, d).item() == pytest.approx(-math.pi / 2)
    assert dihedral(a, b, c, torch.tensor([1, 1, 0.0], dtype=F64)).item() == 0.0


def test_place_atom_round_trip():
    g = torch.Generator().manual_seed(0)
    a, b, c = torch.randn(3, 7, 3, generator=g, dtype=F64)
    torsion = torch.linspace(-3.1, 3.1, 7, dtype=F64)
    d = place_atom(a, b, c, 1.53, math.radians(109.5), torsion)
    assert torch.allclose(dihedral(a, b, c, d), torsion, atol=1e-8)
    assert torch.allclose((d - c).norm(dim=-1), torch.full_like(torsion, 1.53))
    u, v = b - c, d - c
    cos = (u * v).sum(-1) / (u.norm(dim=-1) * v.norm(dim=-1))
    assert torch.allclose(cos, torch.full_like(cos, math.cos(math.radians(109.5))))


def test_build_backbone_torsions_and_bonds():
    g = torch.Generator().manual_seed(1)
    phi, psi = (torch.rand(9, generator=g, dtype=F64) * 6 - 3 for _ in range(2))
    x = build_backbone(phi, psi)
    n, ca, c = x.unbind(dim=1)
    assert torch.allclose(dihedral(c[:-1], n[1:], ca[1:], c[1:]), phi[1:], atol=1e-8)
    assert torch.allclose(dihedral(n[:-1], ca[:-1], c[:-1], n[1:]), psi[:-1], atol=1e-8)
    omega = dihedral(ca[:-1], c[:-1], n[1:], ca[1:])
    assert torch.allclose(omega.abs(), torch.full_like(omega, math.pi), atol=1e-8)
    peptide = (n[1:] - c[:-1]).norm(dim=-1)
    assert torch.allclose(peptide, torch.full_like(peptide, 1.329))


def test_alpha_helix_shape():
    x37, mask = ideal_chain(torch.zeros(19, dtype=torch.long), *_chain(ALPHA_HELIX))
    ca, o, n = x37[:, 1], x37[:, 4], x37[:, 0]
    # right-handed: CA virtual torsion about +50 degrees
    assert 45 < math.degrees(dihedral(ca[0], ca[1], ca[2], ca[3])) < 55
    # i -> i+4 backbone hydrogen bonds: O_i ... N_(i+4) about 2.9-3.1 Å
    hbond = (o[:-4] - n[4:]).norm(dim=-1)
    assert ((hbond > 2.8) & (hbond < 3.2)).all()
    # about 1.5 Å rise per residue
    assert 1.45 < (ca[-1] - ca[0]).norm() / 18 < 1.6
    assert mask.shape == (19, 37) and mask[:, :5].all()


def test_beta_strand_shape():
    x37, _ = ideal_chain(torch.zeros(19, dtype=torch.long), *_chain(BETA_STRAND))
    ca = x37[:, 1]
    assert 3.3 < (ca[-1] - ca[0]).norm() / 18 < 3.6  # nearly fully extended
    assert 6.4 < (ca[2] - ca[0]).norm() < 7.1


def test_ideal_chain_oxygen_and_side_chains():
    aatype = torch.arange(20)
    phi, psi = _chain(ALPHA_HELIX, n=20)
    chi = torch.full((20, 4), math.radians(-60.0), dtype=F64)
    x37, mask = ideal_chain(aatype, phi, psi, chi)
    assert x37.dtype == F64
    assert torch.equal(mask, torch.tensor(rc.restype_atom37_mask[:20]))
    assert torch.equal(x37[mask == 0], torch.zeros_like(x37[mask == 0]))
    n, ca, c, o = x37[:, 0], x37[:, 1], x37[:, 2], x37[:, 4]
    # O is trans to the next N: torsion N-CA-C-O = ψ + π, and in the peptide plane
    want = torch.remainder(psi + 2 * math.pi, 2 * math.pi) - math.pi
    assert torch.allclose(dihedral(n, ca, c, o), want, atol=1e-6)
    o_next_n = (o[:-1] - n[1:]).norm(dim=-1)  # about 2.25 Å, varies by residue type
    assert ((o_next_n > 2.2) & (o_next_n < 2.3)).all()
    # chi1 comes back from the built side chains (not ALA, GLY)
    for r in range(20):
        atoms = rc.chi_angles_atoms[rc.resnames[r]]
        if atoms:
            idx = [rc.atom_order[a] for a in atoms[0]]
            got = dihedral(*(x37[r, i] for i in idx))
            assert got.item() == pytest.approx(math.radians(-60.0), abs=1e-6)


def test_ideal_chain_float32():
    phi, psi = _chain(ALPHA_HELIX, 5, torch.float32)
    x37, _ = ideal_chain(torch.zeros(5, dtype=torch.long), phi, psi)
    assert x37.dtype == torch.float32 and torch.isfinite(x37).all()
