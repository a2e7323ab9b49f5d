"""Ideal peptide chains from backbone torsion angles φ, ψ, ω.

A chain is grown atom by atom: each new atom is placed from the three before it
with an ideal bond length, bond angle and torsion angle (the "natural extension
reference frame" construction). The backbone frames of the grown chain
(SI Alg. 21) then carry the side chains and carbonyl oxygens through
``all_atom`` (SI Alg. 24), exactly as the structure module does.

Ideal values: Engh & Huber (1991). Torsions follow the IUPAC sign convention.
"""

from __future__ import annotations

import math

import torch

from . import residue_constants as rc
from .all_atom import atom14_to_atom37, frames_to_atom14_pos, torsion_angles_to_frames
from .geometry import rigid_from_3_points

# (φ, ψ) in degrees
ALPHA_HELIX = (-57.0, -47.0)  # right-handed α-helix: 3.6 residues, 5.4 Å per turn
BETA_STRAND = (-139.0, 135.0)  # antiparallel β-strand

# Peptide bond, Engh & Huber (1991): C-N length (Å), angles CA-C-N and C-N-CA (deg).
_C_N, _CA_C_N, _C_N_CA = 1.329, 116.2, 121.7


def _ideal_residue_geometry() -> tuple[float, float, float]:
    """N-CA and CA-C lengths (Å) and the N-CA-C angle (rad) of the ideal residue."""
    pos = {a: torch.tensor(x) for a, _, x in rc.rigid_group_atom_positions["ALA"]}
    n, c = pos["N"] - pos["CA"], pos["C"] - pos["CA"]
    angle = torch.arccos((n @ c) / (n.norm() * c.norm()))
    return n.norm().item(), c.norm().item(), angle.item()


def dihedral(
    a: torch.Tensor, b: torch.Tensor, c: torch.Tensor, d: torch.Tensor
) -> torch.Tensor:
    """The torsion angle a-b-c-d about the bond b-c, in radians in (-π, π].

    a, b, c, d: [*, 3] points. Returns [*]. Positive: clockwise, looking from b to c.
    """
    # Hint: with b1 = b - a, b2 = c - b, b3 = d - c and the plane normals
    # n1 = b1 × b2, n2 = b2 × b3: angle = atan2(y, x), y = |b2| b1 · n2, x = n1 · n2
    # y, x: [*]
    ### BEGIN SOLUTION
    b1, b2, b3 = b - a, c - b, d - c
    n1 = torch.linalg.cross(b1, b2, dim=-1)
    n2 = torch.linalg.cross(b2, b3, dim=-1)
    y = b2.norm(dim=-1) * (b1 * n2).sum(dim=-1)
    x = (n1 * n2).sum(dim=-1)
    ### END SOLUTION
    return torch.atan2(y, x)


def place_atom(
    a: torch.Tensor,
    b: torch.Tensor,
    c: torch.Tensor,
    length: float | torch.Tensor,
    angle: float | torch.Tensor,
    torsion: torch.Tensor,
) -> torch.Tensor:
    """The point d with |d - c| = length, angle b-c-d = angle and torsion a-b-c-d.

    a, b, c: [*, 3] points. angle, torsion: radians (torsion: [*]). Returns d: [*, 3].
    """
    angle = torch.as_tensor(angle, dtype=c.dtype, device=c.device)
    # A frame at c with its x-axis pointing to b and a in the xy-plane (y > 0):
    # SI Alg. 21 with x1 = a, x2 = c, x3 = b. frame: Rigid [*]
    ### BEGIN SOLUTION
    frame = rigid_from_3_points(a, c, b)
    ### END SOLUTION
    # In that frame d = length (cos θ, sin θ cos τ, -sin θ sin τ), θ = angle,
    # τ = torsion (the minus: this frame's x-axis points from c back to b).
    # d: [*, 3] in global coordinates
    ### BEGIN SOLUTION
    d_local = torch.stack(
        [
            angle.cos().expand_as(torsion),
            angle.sin() * torsion.cos(),
            -angle.sin() * torsion.sin(),
        ],
        dim=-1,
    )
    d = frame.apply(length * d_local)
    ### END SOLUTION
    return d


def build_backbone(
    phi: torch.Tensor, psi: torch.Tensor, omega: torch.Tensor | None = None
) -> torch.Tensor:
    """N, CA, C coordinates of an ideal chain with the given backbone torsions.

    phi, psi, omega: [N_res] radians (φ of the first and ψ, ω of the last residue
    place no atom; ω defaults to π, trans peptides). ω_i is the C_(i-1)-N_i bond's.
    Returns x: [N_res, 3, 3] positions of N, CA, C (Å); the first CA at the origin.
    """
    omega = torch.full_like(phi, math.pi) if omega is None else omega
    n_ca, ca_c, n_ca_c = _ideal_residue_geometry()
    # The first residue: CA at the origin, C on the x-axis, N in the xy-plane.
    n0 = n_ca * torch.tensor([math.cos(n_ca_c), math.sin(n_ca_c), 0.0])
    atoms = [n0, torch.zeros(3), torch.tensor([ca_c, 0.0, 0.0])]
    atoms = [x.to(phi) for x in atoms]
    for i in range(1, len(phi)):
        # Hint: place N_i (torsion ψ_(i-1)), CA_i (ω_i) and C_i (φ_i), each from
        # the last three atoms of the chain. n_new, ca_new, c_new: [3]
        ### BEGIN SOLUTION
        n, ca, c = atoms[-3:]
        n_new = place_atom(n, ca, c, _C_N, math.radians(_CA_C_N), psi[i - 1])
        ca_new = place_atom(ca, c, n_new, n_ca, math.radians(_C_N_CA), omega[i])
        c_new = place_atom(c, n_new, ca_new, ca_c, n_ca_c, phi[i])
        ### END SOLUTION
        atoms += [n_new, ca_new, c_new]
    return torch.stack(atoms).reshape(len(phi), 3, 3)


def ideal_chain(
    aatype: torch.Tensor,
    phi: torch.Tensor,
    psi: torch.Tensor,
    chi: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """All heavy atoms of an ideal chain: backbone from φ/ψ, side chains from χ.

    aatype: [N_res]. phi, psi: [N_res] radians. chi: [N_res, 4] radians (default π).
    Returns (atom37 positions [N_res, 37, 3], atom37 mask [N_res, 37]).
    """
    chi = torch.full((len(phi), 4), math.pi).to(phi) if chi is None else chi
    x = build_backbone(phi, psi)
    # SI Alg. 21: backbone frames from N, CA, C
    frames = rigid_from_3_points(x[:, 0], x[:, 1], x[:, 2])
    # The psi group holds O, which sits trans to the next N: its torsion is ψ + π,
    # and the psi frame (whose y-axis points away from N) adds another π, so ψ.
    # ω and φ move no heavy atom of their own residue.
    omega = torch.zeros_like(phi)
    # [N_res, 7]
    torsions = torch.cat([torch.stack([omega, phi, psi], dim=-1), chi], dim=-1)
    # [N_res, 7, 2]
    alpha = torch.stack([torsions.sin(), torsions.cos()], dim=-1)
    groups = torsion_angles_to_frames(frames, alpha, aatype)
    atom37 = atom14_to_atom37(frames_to_atom14_pos(groups, aatype), aatype)
    mask = torch.as_tensor(rc.restype_atom37_mask, device=aatype.device)[aatype]
    return atom37, mask
