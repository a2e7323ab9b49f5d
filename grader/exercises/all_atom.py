"""Exercises of ``reference/all_atom.py`` (lesson 5). Every residue type, glycine,
proline and X (20) included, appears in a case; torsion angles are random unit
(sin, cos) pairs, not only ideal ones."""

from functools import partial

import torch

from ..cases import Case, Exercise, edits
from ..inputs import Draw
from .geometry import rigids

# No size is 2, 3, 7, 8, 14 or 37 (sin/cos, xyz, torsions, groups, atoms).
row = partial(
    Exercise,
    lesson=5,
    sizes=dict(B=5, N_res=11),
    hidden=dict(B=6, N_res=13),
)


def angles(d: Draw, name: str, *dims) -> torch.Tensor:
    """[*dims, 2] (sin, cos) of random angles in (-π, π]."""
    theta = (d.rand(name, *dims) * 2 - 1) * torch.pi
    return torch.stack([theta.sin(), theta.cos()], dim=-1)


def every_type(d: Draw) -> torch.Tensor:
    """[21] each residue type once (X = 20 included), in a shuffled order."""
    return torch.from_numpy(d.rng("aatype").permutation(21))


def _frames(d: Draw, every: bool):
    if every:
        return (rigids(d, "backbone", 21), angles(d, "alpha", 21, 7), every_type(d)), {}
    aatype = d.randint("aatype", 21, "B", "N_res")
    return (
        rigids(d, "backbone", "B", "N_res"),
        angles(d, "alpha", "B", "N_res", 7),
        aatype,
    ), {}


def _atoms(d: Draw, every: bool):
    if every:
        return (rigids(d, "groups", 21, 8), every_type(d)), {}
    return (
        rigids(d, "groups", "B", "N_res", 8),
        d.randint("aatype", 21, "B", "N_res"),
    ), {}


EXERCISES = [
    row(
        "all_atom.make_rot_x",
        points=1,
        cases=[
            Case("random angles", lambda d: ((angles(d, "alpha", "B", "N_res"),), {})),
            Case("one per torsion", lambda d: ((angles(d, "alpha", "N_res", 7),), {})),
        ],
        mistakes=edits(r"""
        alpha holds (sin, cos) in that order (AF2's convention), not (cos, sin)
            sin, cos = alpha.unbind(dim=-1) => cos, sin = alpha.unbind(dim=-1)
        a rotation by +alpha has -sin above the diagonal: [[1, 0, 0], [0, cos, -sin],
        [0, sin, cos]] (the other one rotates by -alpha)
            [zero, cos, -sin], [zero, sin, cos] => [zero, cos, sin], [zero, -sin, cos]
        makeRotX rotates about the x-axis (each group's x-axis is its bond): the 1
        is R[0, 0]
            rows = [[one, zero, zero], [zero, cos, -sin], [zero, sin, cos]] => \
                rows = [[cos, -sin, zero], [sin, cos, zero], [zero, zero, one]]
        """),
    ),
    row(
        "all_atom.torsion_angles_to_frames",
        points=3,
        cases=[
            Case("every residue type", partial(_frames, every=True)),
            Case("batched", partial(_frames, every=False)),
        ],
        mistakes=edits(r"""
        T_lit ∘ makeRotX(α): the torsion turns the group about its own x-axis first,
        then the literature frame places it in its parent
            default_frames.compose(make_rot_x(alpha)) => \
                make_rot_x(alpha).compose(default_frames)
        χ2, χ3, χ4 hang off the previous χ group: chain them (χ_k -> backbone =
        (χ_(k-1) -> backbone) ∘ (χ_k -> χ_(k-1)))
            chi_to_backb.append(chi_to_backb[-1].compose(frames[..., k])) => \
                chi_to_backb.append(frames[..., k])
        chaining puts the parent on the left: (χ_(k-1) -> backbone) ∘ (χ_k ->
        χ_(k-1)), which applies the child's frame first
            chi_to_backb[-1].compose(frames[..., k]) => \
                frames[..., k].compose(chi_to_backb[-1])
        the backbone frame goes on the left: T_i ∘ (group -> backbone) takes a group's
        coordinates to the backbone's, then to global ones
            backb_to_global.unsqueeze(-1).compose(frames_to_backb) => \
                frames_to_backb.compose(backb_to_global.unsqueeze(-1))
        """),
    ),
    row(
        "all_atom.frames_to_atom14_pos",
        points=2,
        cases=[
            Case("every residue type", partial(_atoms, every=True)),
            Case("batched", partial(_atoms, every=False)),
        ],
        mistakes=edits(r"""
        each atom moves with its own rigid group (restype_atom14_to_rigid_group), not
        all with the backbone frame
            one_hot(group, 8) => one_hot(torch.zeros_like(group), 8)
        empty atom14 slots are 0: multiply by the residue type's atom14 mask
            * atom_mask[..., None] =>
        x = T ∘ x_lit takes an atom's literature (local) coordinates to global ones:
        apply, not invert_apply
            atom_frames.apply( => atom_frames.invert_apply(
        """),
    ),
    row(
        "all_atom.atom14_to_atom37",
        points=2,
        cases=[
            Case(
                "positions, every residue type",
                lambda d: ((d.randn("atom14", 21, 14, 3), every_type(d)), {}),
            ),
            Case(
                "batched values per atom",
                lambda d: (
                    (
                        d.randn("atom14", "B", "N_res", 14),
                        d.randint("aatype", 21, "B", "N_res"),
                    ),
                    {},
                ),
            ),
        ],
        mistakes=edits(r"""
        gather with restype_atom37_to_atom14 (each atom37 slot reads its one atom14
        slot); a scatter with restype_atom14_to_atom37 sends every empty atom14 slot
        to index 0 and adds its data to N
            idx = _table("restype_atom37_to_atom14", aatype)[aatype] => \
                idx = _table("restype_atom14_to_atom37", aatype)[aatype]
            atom37 = torch.gather(atom14, aatype.dim(), idx) * exists => \
                zeros = atom14.new_zeros(idx.shape[:-1-len(extra)] + (37,) + extra) \
                \n    atom37 = zeros.scatter_add(aatype.dim(), idx, atom14) * exists
        mask the gather with restype_atom37_mask: an absent atom's index is 0, so it
        reads N's data
            * exists =>
        an atom exists where restype_atom37_mask says so, not where its index is
        non-zero: index 0 is N
            exists = _table("restype_atom37_mask", atom14)[aatype] => \
                exists = (_table("restype_atom37_to_atom14", aatype)[aatype] > 0)
        """),
    ),
]
