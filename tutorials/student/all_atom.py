"""From backbone frames and torsion angles to all heavy-atom coordinates (SI §1.8).

A residue is a tree of up to 8 rigid groups (``residue_constants``): the backbone
frame, then the pre-omega, phi and psi groups, then chi1..chi4 chained along the
side chain. Each torsion angle rotates its group about the x-axis of the group's
frame; the atoms then sit at their ideal coordinates inside their groups.

Atom layouts: atom14 = per-residue slots (``restype_name_to_atom14_names``),
atom37 = one slot per atom type (``atom_types``). Torsion angles are stored as
``(sin, cos)`` pairs in the order ω, φ, ψ, χ1, χ2, χ3, χ4.
"""

from __future__ import annotations

import torch

from . import residue_constants as rc
from .geometry import Rigid


def _table(name: str, like: torch.Tensor) -> torch.Tensor:
    """A ``residue_constants`` table on ``like``'s device (floats in its dtype)."""
    table = torch.as_tensor(getattr(rc, name), device=like.device)
    if table.is_floating_point() and like.is_floating_point():
        table = table.to(like.dtype)
    return table


def make_rot_x(alpha: torch.Tensor) -> Rigid:
    """SI Algorithm 25 "makeRotX".

    alpha: [*, 2] (sin, cos) of a rotation angle.
    Returns the rotation about the x-axis by that angle, zero translation, shape [*].
    """
    # R = [[1, 0, 0], [0, cos, -sin], [0, sin, cos]]
    # R: [*, 3, 3]
    # YOUR CODE HERE
    raise NotImplementedError()
    return Rigid(R, torch.zeros_like(R[..., 0]))


def torsion_angles_to_frames(
    backb_to_global: Rigid, alpha: torch.Tensor, aatype: torch.Tensor
) -> Rigid:
    """SI Algorithm 24 "computeAllAtomCoordinates", lines 2-10: the 8 group frames.

    backb_to_global: Rigid [*, N_res] backbone frames T_i.
    alpha: [*, N_res, 7, 2] (sin, cos) of ω, φ, ψ, χ1-χ4 (unit vectors).
    aatype: [*, N_res] residue types (AF order, 20 = X).
    Returns Rigid [*, N_res, 8]: each rigid group's frame -> global.
    """
    # Literature frames T_lit (group -> parent group): [*, N_res, 8]
    default_frames = Rigid.from_tensor_4x4(
        _table("restype_rigid_group_default_frame", alpha)[aatype]
    )
    # The backbone group gets the zero rotation, (sin, cos) = (0, 1).
    # [*, N_res, 8, 2]
    identity = torch.zeros_like(alpha[..., :1, :])
    identity[..., 1] = 1
    alpha = torch.cat([identity, alpha], dim=-2)
    # SI Alg. 24: T_lit ∘ makeRotX(α) for every group: group -> parent.
    # Hint: Rigid.compose and make_rot_x (SI Alg. 25).
    # frames: Rigid [*, N_res, 8]
    # YOUR CODE HERE
    raise NotImplementedError()
    # SI Alg. 24: chi2, chi3, chi4 hang off the previous chi group, so chain them:
    # chi_k -> backbone = (chi_(k-1) -> backbone) ∘ (chi_k -> chi_(k-1)).
    # Hint: frames[..., k] is group k; Rigid.cat(list, dim=-1) joins [*, N_res, k]s.
    # frames_to_backb: Rigid [*, N_res, 8] (groups 0-3 as they are, chi1-4 chained)
    # YOUR CODE HERE
    raise NotImplementedError()
    # SI Alg. 24: T_i ∘ (group -> backbone) for all 8 groups.
    # Hint: Rigid.unsqueeze(-1) lets [*, N_res] frames broadcast over the groups.
    # frames_to_global: Rigid [*, N_res, 8]
    # YOUR CODE HERE
    raise NotImplementedError()
    return frames_to_global


def frames_to_atom14_pos(frames: Rigid, aatype: torch.Tensor) -> torch.Tensor:
    """SI Algorithm 24 "computeAllAtomCoordinates", line 11: atoms in their groups.

    frames: Rigid [*, N_res, 8] group frames -> global (``torsion_angles_to_frames``).
    aatype: [*, N_res] residue types.
    Returns x: [*, N_res, 14, 3] atom14 positions, 0 in empty slots.
    """
    group = _table("restype_atom14_to_rigid_group", aatype)[aatype]
    lit_positions = _table("restype_atom14_rigid_group_positions", frames.trans)
    atom_mask = _table("restype_atom14_mask", frames.trans)[aatype]
    # Pick each atom's group frame (a one-hot sum: the same as a gather).
    # Hint: one_hot(group, 8): [*, N_res, 14, 8]; then einsum over the groups.
    # atom_frames: Rigid [*, N_res, 14]
    # YOUR CODE HERE
    raise NotImplementedError()
    # SI Alg. 24, line 11: x = T ∘ x_lit, masked to the residue's atoms
    # x: [*, N_res, 14, 3]
    # YOUR CODE HERE
    raise NotImplementedError()
    return x


def make_atom14_masks(aatype: torch.Tensor) -> dict[str, torch.Tensor]:
    """The atom-index features of a sequence, as AF2's ``make_atom14_masks``.

    aatype: [*, N_res]. Returns a dict of
    ``residx_atom37_to_atom14`` [*, N_res, 37] (int64, 0 where absent),
    ``residx_atom14_to_atom37`` [*, N_res, 14] (int64, 0 in empty slots),
    ``atom37_atom_exists`` [*, N_res, 37] and ``atom14_atom_exists`` [*, N_res, 14]
    (float32, 1 where the residue has the atom).
    """
    return {
        "residx_atom37_to_atom14": _table("restype_atom37_to_atom14", aatype)[aatype],
        "residx_atom14_to_atom37": _table("restype_atom14_to_atom37", aatype)[aatype],
        "atom37_atom_exists": _table("restype_atom37_mask", aatype)[aatype],
        "atom14_atom_exists": _table("restype_atom14_mask", aatype)[aatype],
    }


def atom14_to_atom37(atom14: torch.Tensor, aatype: torch.Tensor) -> torch.Tensor:
    """Gathers atom14 data into the atom37 layout.

    atom14: [*, N_res, 14, ...] (e.g. positions [*, N_res, 14, 3]).
    aatype: [*, N_res]. Returns [*, N_res, 37, ...], 0 for atoms the residue lacks.
    atom37[i, a] = atom14[i, idx[i, a]] * atom37_atom_exists[i, a], where
    idx = ``restype_atom37_to_atom14[aatype]`` is 0 for an absent atom (slot 0 holds
    N: the mask zeroes what the gather reads there).
    """
    # The data's trailing dimensions "...", e.g. (3,) for positions.
    extra = atom14.shape[aatype.dim() + 1 :]
    # Hint: idx, exists [*, N_res, 37] from the residue_constants tables
    # (_table(name, like)[aatype]); torch.gather along the atom axis (dim
    # aatype.dim()) wants an index of the output's shape [*, N_res, 37, ...].
    # atom37: [*, N_res, 37, ...]
    # YOUR CODE HERE
    raise NotImplementedError()
    return atom37


def pseudo_beta(aatype: torch.Tensor, atom37: torch.Tensor) -> torch.Tensor:
    """The CB position, or CA for glycine (the recycled distogram uses it).

    aatype: [*, N_res]. atom37: [*, N_res, 37, 3]. Returns [*, N_res, 3].
    """
    is_gly = (aatype == rc.restype_order["G"])[..., None]
    ca = atom37[..., rc.atom_order["CA"], :]
    cb = atom37[..., rc.atom_order["CB"], :]
    return torch.where(is_gly, ca, cb)
