"""The ground truth of a training example: what the losses compare a prediction with.

From an experimental structure (atom37 positions and mask, e.g. from a PDB file) this
module derives everything the losses of SI §1.9 read: the backbone and side-chain
rigid-group frames (SI Table 2) with their alternatives for symmetric residues, the
seven torsion angles with their π-shifted alternatives (SI Alg. 27), the atoms in the
atom14 layout with their renamed alternatives (SI Alg. 26, Table 3), the Cβ (Cα for
glycine) positions of the distogram, and the Cα positions of lDDT-Cα.

Frames follow SI Alg. 21 (``rigid_from_3_points``): the backbone frame has its origin
on Cα, its x-axis towards C and N in the xy-plane. A torsion angle is read as AF2
does: the fourth atom, seen from the frame of the first three, gives (sin, cos).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from . import residue_constants as rc
from .all_atom import pseudo_beta
from .geometry import Rigid, rigid_from_3_points

TORSION_NAMES = ("omega", "phi", "psi", "chi1", "chi2", "chi3", "chi4")


def read_pdb_chain(path_or_text: str | Path, chain: str | None = None) -> dict:
    """One protein chain of a PDB file in the atom37 layout (first model, first altloc).

    Returns a dict of ``aatype`` [N_res] (int64, AF order, 20 = X), ``atom37_positions``
    [N_res, 37, 3] (float64, Å), ``atom37_mask`` [N_res, 37] (1 = atom in the file),
    ``residue_number`` [N_res] (the file's numbers) and ``sequence`` (one letter each).
    Hydrogens and atoms outside the 37 heavy-atom types are skipped.
    """
    text = str(path_or_text)
    source = "<string>"
    if "\n" not in text and Path(text).exists():
        source, text = text, Path(text).read_text()
    residues: dict[tuple, dict] = {}
    for line in text.splitlines():
        if line.startswith("ENDMDL"):
            break
        if not line.startswith("ATOM") or line[16] not in " A":
            continue
        if chain is not None and line[21] != chain:
            continue
        chain = line[21]
        key = (int(line[22:26]), line[26])
        residue = residues.setdefault(key, {"name": line[17:20], "atoms": {}})
        residue["atoms"][line[12:16].strip()] = [
            float(line[c : c + 8]) for c in (30, 38, 46)
        ]
    if not residues:
        raise ValueError(
            f"{source}: no ATOM records" + (f" in chain {chain!r}" if chain else "")
        )
    n = len(residues)
    aatype = np.full(n, rc.unk_restype_index, dtype=np.int64)
    positions, mask = np.zeros((n, 37, 3)), np.zeros((n, 37))
    for i, residue in enumerate(residues.values()):
        one = rc.restype_3to1.get(residue["name"], "X")
        aatype[i] = rc.restype_order_with_x[one]
        for name, xyz in residue["atoms"].items():
            if name in rc.atom_order:
                positions[i, rc.atom_order[name]] = xyz
                mask[i, rc.atom_order[name]] = 1.0
    return {
        "aatype": torch.from_numpy(aatype),
        "atom37_positions": torch.from_numpy(positions),
        "atom37_mask": torch.from_numpy(mask),
        "residue_number": torch.tensor([k[0] for k in residues]),
        "sequence": "".join(rc.restypes_with_x[a] for a in aatype),
    }


def _frame_towards(start, end, in_plane) -> Rigid:
    """The frame with origin ``end``, x-axis along start -> end, ``in_plane`` in the
    xy-plane (y > 0): AF2's frame of a bond, in SI Alg. 21's terms."""
    return rigid_from_3_points(in_plane, end, 2 * end - start)


def _base_atoms() -> tuple[np.ndarray, np.ndarray]:
    """[21, 8, 3] atom37 indices of (start, end, in-plane) atoms of each rigid group's
    frame, and [21, 8] whether the group has a frame. The backbone frame is N, CA, C
    (SI Alg. 21); psi's: along CA -> C, O in the plane; chi_k's: along the chi's
    axis, the next side-chain atom in the plane. Groups 1-2 (pre-omega, phi) hold no
    heavy atoms: no frame."""
    names = np.full((21, 8, 3), "N", dtype=object)
    exists = np.zeros((21, 8), dtype=np.float32)
    exists[:, [0, 3]] = 1
    names[:, 0] = ["N", "CA", "C"]
    names[:, 3] = ["CA", "C", "O"]
    for r, res in enumerate(rc.resnames):
        for k, atoms in enumerate(rc.chi_angles_atoms[res]):
            names[r, 4 + k], exists[r, 4 + k] = atoms[1:], 1
    index = np.vectorize(rc.atom_order.get)(names).astype(np.int64)
    return index, exists


_BASE_ATOMS, _GROUP_EXISTS = _base_atoms()


def atom37_to_frames(
    aatype: torch.Tensor, positions: torch.Tensor, mask: torch.Tensor
) -> dict:
    """The 8 rigid-group frames of every residue of a structure (SI Table 2).

    Args:
        aatype: [*, N_res]. positions: [*, N_res, 37, 3] (Å). mask: [*, N_res, 37].

    Returns:
        ``frames``, ``alt_frames``: Rigid [*, N_res, 8] (the alternative turns the
        last chi group of Asp, Glu, Phe, Tyr by π); ``frames_mask`` [*, N_res, 8]
        (1 where the group exists and its three atoms are in the structure).
    """
    index = torch.as_tensor(_BASE_ATOMS, device=aatype.device)[aatype]
    # [*, N_res, 8, 3, 3]: the three atoms of every frame
    atoms = torch.gather(
        positions[..., None, :, :].expand(*index.shape[:-1], 37, 3),
        -2,
        index[..., None].expand(*index.shape, 3),
    )
    backbone = rigid_from_3_points(
        atoms[..., 0, 0, :], atoms[..., 0, 1, :], atoms[..., 0, 2, :]
    )
    others = _frame_towards(
        atoms[..., 1:, 0, :], atoms[..., 1:, 1, :], atoms[..., 1:, 2, :]
    )
    frames = Rigid.cat([backbone.unsqueeze(-1), others], dim=-1)
    group_exists = torch.as_tensor(_GROUP_EXISTS, device=aatype.device)[aatype]
    atoms_exist = torch.gather(
        mask[..., None, :].expand(*index.shape[:-1], 37), -1, index
    )
    frames_mask = group_exists.to(mask.dtype) * atoms_exist.prod(-1)
    # The alternative: the symmetric group turned by π about its x-axis.
    flip = torch.ones(*frames.shape, 3, dtype=positions.dtype, device=positions.device)
    flip[..., 1:] = 1 - 2 * _ambiguous_groups(aatype)[..., None].to(positions.dtype)
    alt_frames = Rigid(frames.rot * flip[..., None, :], frames.trans)
    return {"frames": frames, "alt_frames": alt_frames, "frames_mask": frames_mask}


def _ambiguous_groups(aatype: torch.Tensor) -> torch.Tensor:
    """[*, N_res, 8] 1 for the last chi group of residues with a π-periodic chi."""
    periodic = torch.as_tensor(rc.chi_pi_periodic, device=aatype.device)[aatype]
    return torch.cat([torch.zeros_like(periodic), periodic], dim=-1)


_CHI_ATOMS = np.zeros((21, 4, 4), dtype=np.int64)
for _r, _res in enumerate(rc.resnames):
    for _k, _atoms in enumerate(rc.chi_angles_atoms[_res]):
        _CHI_ATOMS[_r, _k] = [rc.atom_order[a] for a in _atoms]


def atom37_to_torsion_angles(
    aatype: torch.Tensor, positions: torch.Tensor, mask: torch.Tensor
) -> dict:
    """The torsion angles ω, φ, ψ, χ1-χ4 of every residue, as (sin, cos).

    ω and φ of residue i need residue i-1's atoms (the first residue has none).

    Args:
        aatype: [*, N_res]. positions: [*, N_res, 37, 3] (Å). mask: [*, N_res, 37].

    Returns:
        ``alpha``, ``alt_alpha``: [*, N_res, 7, 2] (the alternative adds π to the
        π-periodic chi); ``torsion_mask`` [*, N_res, 7].
    """
    order = rc.atom_order
    prev_pos = torch.cat(
        [torch.zeros_like(positions[..., :1, :, :]), positions[..., :-1, :, :]], -3
    )
    prev_mask = torch.cat([torch.zeros_like(mask[..., :1, :]), mask[..., :-1, :]], -2)
    n, ca, c, o = (order[a] for a in ("N", "CA", "C", "O"))
    # [*, N_res, 4, 3] the four atoms of ω (CA, C of i-1; N, CA), φ (C of i-1; N, CA,
    # C) and ψ (N, CA, C, O); [*, N_res, 4, 4, 3] those of the chi angles.
    omega = torch.cat([prev_pos[..., [ca, c], :], positions[..., [n, ca], :]], -2)
    phi = torch.cat([prev_pos[..., [c], :], positions[..., [n, ca, c], :]], -2)
    psi = positions[..., [n, ca, c, o], :]
    chi_index = torch.as_tensor(_CHI_ATOMS, device=aatype.device)[aatype]
    flat = chi_index.flatten(-2)
    chis = torch.gather(positions, -2, flat[..., None].expand(*flat.shape, 3))
    # [*, N_res, 7, 4, 3]
    atoms = torch.cat(
        [torch.stack([omega, phi, psi], -3), chis.unflatten(-2, (4, 4))], -3
    )
    chi_mask = torch.as_tensor(rc.chi_angles_mask, device=aatype.device)[aatype]
    torsion_mask = torch.cat(
        [
            (prev_mask[..., [ca, c]].prod(-1) * mask[..., [n, ca]].prod(-1))[..., None],
            (prev_mask[..., c] * mask[..., [n, ca, c]].prod(-1))[..., None],
            mask[..., [n, ca, c, o]].prod(-1)[..., None],
            chi_mask.to(mask.dtype)
            * torch.gather(mask, -1, flat).unflatten(-1, (4, 4)).prod(-1),
        ],
        dim=-1,
    )
    # The fourth atom in the frame along atom 1 -> atom 2 with atom 0 in the xy-plane.
    frame = _frame_towards(atoms[..., 1, :], atoms[..., 2, :], atoms[..., 0, :])
    local = frame.invert_apply(atoms[..., 3, :])
    alpha = torch.stack([local[..., 2], local[..., 1]], dim=-1)
    alpha = alpha / torch.sqrt(alpha.square().sum(-1, keepdim=True) + 1e-8)
    # psi is measured from O, which sits opposite the next N: turn it by π (AF2's sign).
    sign = torch.tensor(
        [1.0, 1.0, -1.0, 1.0, 1.0, 1.0, 1.0], dtype=alpha.dtype, device=alpha.device
    )
    alpha = alpha * sign[:, None]
    periodic = _ambiguous_groups(aatype)[..., 1:].to(alpha.dtype)
    alt_alpha = alpha * (1 - 2 * periodic)[..., None]
    return {"alpha": alpha, "alt_alpha": alt_alpha, "torsion_mask": torsion_mask}


def atom37_to_atom14(
    aatype: torch.Tensor, positions: torch.Tensor, mask: torch.Tensor
) -> dict:
    """Atoms in the atom14 layout, with the renamed alternative (SI Table 3).

    Returns ``positions``, ``alt_positions`` [*, N_res, 14, 3], ``mask``,
    ``alt_mask`` [*, N_res, 14] and ``is_ambiguous`` [*, N_res, 14] (1 for atoms a
    renaming moves).
    """
    index = torch.as_tensor(rc.restype_atom14_to_atom37, device=aatype.device)[aatype]
    exists = torch.as_tensor(rc.restype_atom14_mask, device=aatype.device)[aatype]
    mask14 = torch.gather(mask, -1, index) * exists.to(mask.dtype)
    pos14 = torch.gather(positions, -2, index[..., None].expand(*index.shape, 3))
    pos14 = pos14 * mask14[..., None]
    partner = torch.as_tensor(
        rc.restype_atom14_ambiguous_partner, device=aatype.device
    )[aatype]
    ambiguous = torch.as_tensor(rc.restype_atom14_is_ambiguous, device=aatype.device)[
        aatype
    ]
    return {
        "positions": pos14,
        "alt_positions": torch.gather(
            pos14, -2, partner[..., None].expand(*partner.shape, 3)
        ),
        "mask": mask14,
        "alt_mask": torch.gather(mask14, -1, partner),
        "is_ambiguous": ambiguous.to(mask.dtype),
    }


def make_ground_truth(
    aatype: torch.Tensor, atom37_positions: torch.Tensor, atom37_mask: torch.Tensor
) -> dict[str, torch.Tensor]:
    """Every target of the losses, from a structure in the atom37 layout.

    Returns a dict of ``aatype``; ``frames``/``alt_frames`` [*, N_res, 8, 4, 4],
    ``frames_mask`` [*, N_res, 8]; ``alpha``/``alt_alpha`` [*, N_res, 7, 2],
    ``torsion_mask`` [*, N_res, 7]; ``atom14_positions``/``atom14_alt_positions``
    [*, N_res, 14, 3], ``atom14_mask``/``atom14_alt_mask``/``atom14_is_ambiguous``
    [*, N_res, 14]; ``pseudo_beta`` [*, N_res, 3] and ``pseudo_beta_mask``;
    ``ca_positions`` [*, N_res, 3] and ``ca_mask`` [*, N_res]; ``seq_mask``.
    """
    frames = atom37_to_frames(aatype, atom37_positions, atom37_mask)
    atom14 = atom37_to_atom14(aatype, atom37_positions, atom37_mask)
    is_gly = aatype == rc.restype_order["G"]
    beta = torch.where(
        is_gly,
        atom37_mask[..., rc.atom_order["CA"]],
        atom37_mask[..., rc.atom_order["CB"]],
    )
    truth = {
        "aatype": aatype,
        "frames": frames["frames"].to_tensor_4x4(),
        "alt_frames": frames["alt_frames"].to_tensor_4x4(),
        "frames_mask": frames["frames_mask"],
        **atom37_to_torsion_angles(aatype, atom37_positions, atom37_mask),
        **{f"atom14_{k}": v for k, v in atom14.items()},
        "pseudo_beta": pseudo_beta(aatype, atom37_positions),
        "pseudo_beta_mask": beta,
        "ca_positions": atom37_positions[..., rc.atom_order["CA"], :],
        "ca_mask": atom37_mask[..., rc.atom_order["CA"]],
        "seq_mask": (aatype != rc.unk_restype_index).to(atom37_mask.dtype),
    }
    truth["atom14_ambiguous"] = truth.pop("atom14_is_ambiguous")
    return truth
