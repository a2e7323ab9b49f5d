"""Ideal peptide chains from backbone torsion angles φ, ψ, ω.

A chain is grown atom by atom: each new atom is placed from the three before it
with an ideal bond length, bond angle and torsion angle (the "natural extension
reference frame" construction). The backbone frames of the grown chain
(SI Alg. 21) then carry the side chains and carbonyl oxygens through
``all_atom`` (SI Alg. 24), exactly as the structure module does. A regular chain
is a helix: the same rigid step from every residue's frame to the next one's,
whose rotation angle and shift along its axis give the twist and the rise.

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
BETA_STRAND = (-120.0, 130.0)  # β-strand (parallel -119/113, antiparallel -139/135)

# Peptide bond, Engh & Huber (1991): C-N length (Å), angles CA-C-N and C-N-CA (deg).
_C_N, _CA_C_N, _C_N_CA = 1.329, 116.2, 121.7


def _ideal_residue_geometry(aatype: torch.Tensor, like: torch.Tensor):
    """N-CA and CA-C lengths (Å) and the N-CA-C angle (rad) of each residue's ideal
    backbone, [N_res] each in ``like``'s dtype (X takes alanine's)."""
    aatype = torch.where(aatype == rc.unk_restype_index, 0, aatype)
    # The backbone group's literature positions: N, CA, C in atom14 slots 0, 1, 2.
    pos = torch.as_tensor(rc.restype_atom14_rigid_group_positions).to(like)[aatype]
    n, c = pos[:, 0] - pos[:, 1], pos[:, 2] - pos[:, 1]
    angle = torch.arccos((n * c).sum(-1) / (n.norm(dim=-1) * c.norm(dim=-1)))
    return n.norm(dim=-1), c.norm(dim=-1), angle


def dihedral(
    a: torch.Tensor, b: torch.Tensor, c: torch.Tensor, d: torch.Tensor
) -> torch.Tensor:
    """The torsion angle a-b-c-d about the bond b-c, in radians in (-π, π].

    a, b, c, d: [*, 3] points. Returns [*]. Positive: clockwise, looking from b to c.
    """
    # Hint: with b1 = b - a, b2 = c - b, b3 = d - c and the plane normals
    # n1 = b1 × b2, n2 = b2 × b3: angle = atan2(y, x), y = |b2| b1 · n2, x = n1 · n2
    # y, x: [*]
    # YOUR CODE HERE
    raise NotImplementedError()
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

    a, b, c: [*, 3] points. length: Å. angle, torsion: radians. length and angle
    are numbers or [*] tensors, torsion is [*]. Returns d: [*, 3].
    """
    angle = torch.as_tensor(angle, dtype=c.dtype, device=c.device)
    # [*, 1], to scale the [*, 3] local position below
    length = torch.as_tensor(length, dtype=c.dtype, device=c.device)[..., None]
    # A frame at c with its x-axis pointing to b and a in the xy-plane (y > 0):
    # SI Alg. 21 with x1 = a, x2 = c, x3 = b. frame: Rigid [*]
    # YOUR CODE HERE
    raise NotImplementedError()
    # In that frame d = length (cos θ, sin θ cos τ, -sin θ sin τ), θ = angle,
    # τ = torsion (the minus: this frame's x-axis points from c back to b).
    # d: [*, 3] in global coordinates
    # YOUR CODE HERE
    raise NotImplementedError()
    return d


def build_backbone(
    phi: torch.Tensor,
    psi: torch.Tensor,
    omega: torch.Tensor | None = None,
    aatype: torch.Tensor | None = None,
) -> torch.Tensor:
    """N, CA, C coordinates of an ideal chain with the given backbone torsions.

    phi, psi, omega: [N_res] radians (φ of the first and ψ, ω of the last residue
    place no atom; ω defaults to π, trans peptides). ω_i is the C_(i-1)-N_i bond's.
    aatype: [N_res] residue types, for each residue's own N-CA, CA-C lengths and
    N-CA-C angle (default: alanine everywhere).
    Returns x: [N_res, 3, 3] positions of N, CA, C (Å); the first CA at the origin.
    """
    omega = torch.full_like(phi, math.pi) if omega is None else omega
    if aatype is None:
        aatype = torch.zeros(len(phi), dtype=torch.long, device=phi.device)
    n_ca, ca_c, n_ca_c = _ideal_residue_geometry(aatype, phi)
    # The first residue: CA at the origin, C on the x-axis, N in the xy-plane.
    zero = torch.zeros_like(n_ca[0])
    n0 = n_ca[0] * torch.stack([n_ca_c[0].cos(), n_ca_c[0].sin(), zero])
    atoms = [n0, torch.zeros_like(n0), torch.stack([ca_c[0], zero, zero])]
    for i in range(1, len(phi)):
        # Hint: place N_i (torsion ψ_(i-1)), CA_i (ω_i) and C_i (φ_i), each from
        # the last three atoms of the chain. Bond lengths in Å, angles in radians.
        # n_new, ca_new, c_new: [3]
        # YOUR CODE HERE
        raise NotImplementedError()
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
    x = build_backbone(phi, psi, aatype=aatype)
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


def helix_parameters(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The twist and the rise of every step of a chain, from its backbone atoms.

    x: [*, N_res, 3, 3] positions of N, CA, C (``build_backbone``'s layout).
    Returns (twist, rise), [*, N_res - 1] each: the step from residue i's frame to
    residue i+1's is a screw motion (Chasles), a rotation by ``twist`` (radians,
    positive for a right-handed helix, negative for a left-handed one) about an
    axis and a shift by ``rise`` (Å, >= 0) along it. An ideal helix has the same
    step everywhere: 2π / twist residues per turn, a pitch of rise · 2π / |twist|.
    A step without rotation (a straight chain) has no axis: its rise is undefined.
    """
    # The frames T_i (SI Alg. 21) and the steps ΔT_i = T_i⁻¹ ∘ T_(i+1), expressed
    # in frame i (the same screw as T_(i+1) ∘ T_i⁻¹ in global coordinates).
    # Hint: Rigid's invert and compose; T[..., :-1] indexes its batch dimensions.
    # step: Rigid [*, N_res - 1]
    # YOUR CODE HERE
    raise NotImplementedError()
    R, t = step.rot, step.trans
    # A rotation by θ about the unit axis u has trace(R) = 1 + 2 cos θ and
    # antisymmetric part R - Rᵀ = 2 sin θ [u]×, i.e. w = (R32 - R23, R13 - R31,
    # R21 - R12) / 2 = sin θ u (θ in [0, π]). The rise is t's component along u;
    # flipping u to make it positive turns the rotation into -θ.
    # Hint: torch.atan2(|w|, cos θ) is accurate for every θ.
    # twist, rise: [*, N_res - 1]
    # YOUR CODE HERE
    raise NotImplementedError()
    return twist, rise
