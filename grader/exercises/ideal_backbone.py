"""Exercises of ``reference/ideal_backbone.py`` (lesson 5): torsion angles, placing
atoms, growing a chain from φ/ψ/ω, and measuring it as a helix."""

import math
from functools import partial

import torch

from ..cases import Case, Exercise, edits
from ..inputs import Draw
from .all_atom import every_type

row = partial(
    Exercise,
    lesson=5,
    sizes=dict(B=5, N_res=11),
    hidden=dict(B=6, N_res=13),
)


def _uniform(d: Draw, name: str, *dims, low=-math.pi, high=math.pi):
    return low + (high - low) * d.rand(name, *dims)


def _points(d: Draw, n: int, *dims):
    return tuple(d.randn(f"x{i}", *dims, 3, scale=1.5) for i in range(n))


def _place(d: Draw, batched: bool):
    dims = ("B", "N_res") if batched else ("N_res",)
    torsion = _uniform(d, "torsion", *dims)
    if batched:
        return (*_points(d, 3, *dims), 1.53, math.radians(109.5), torsion), {}
    length = _uniform(d, "length", *dims, low=1.2, high=1.6)
    angle = _uniform(d, "angle", *dims, low=1.8, high=2.2)
    return (*_points(d, 3, *dims), length, angle, torsion), {}


def _chain(d: Draw, typed: bool):
    if not typed:
        return (_uniform(d, "phi", "N_res"), _uniform(d, "psi", "N_res")), {}
    # Every residue type, trans peptides with a few cis ones (ω = 0).
    omega = torch.where(d.rand("cis", 21) < 0.2, 0.0, math.pi)
    return (_uniform(d, "phi", 21), _uniform(d, "psi", 21), omega, every_type(d)), {}


_IDEAL: dict[str, torch.Tensor] = {}


def _ideal(d: Draw):
    """An α-helix and a β-strand, φ/ψ within 3° of the ideal ones: [2, N_res, 3, 3].
    Grown once per run (the check calls every typical mistake on the same input)."""
    from reference.ideal_backbone import ALPHA_HELIX, BETA_STRAND, build_backbone

    if d.key not in _IDEAL:
        chains = []
        for phi_psi in (ALPHA_HELIX, BETA_STRAND):
            phi, psi = (
                math.radians(a)
                + _uniform(d, f"{a} noise", "N_res", low=-0.05, high=0.05)
                for a in phi_psi
            )
            chains.append(build_backbone(phi, psi))
        _IDEAL[d.key] = torch.stack(chains)
    return (_IDEAL[d.key].clone(),), {}


EXERCISES = [
    row(
        "ideal_backbone.dihedral",
        points=2,
        cases=[
            Case("random points", lambda d: (_points(d, 4, "B", "N_res"), {})),
            Case("one batch dimension", lambda d: (_points(d, 4, "N_res"), {})),
        ],
        mistakes=edits(r"""
        n1 = b1 × b2 (the normal of the plane a, b, c): the cross product's order
        matters, b2 × b1 = -n1
            n1 = torch.linalg.cross(b1, b2, dim=-1) => \
                n1 = torch.linalg.cross(b2, b1, dim=-1)
        y = |b2| b1 · n2: the factor |b2| makes y and x the same scale (|n1| |n2|
        times sin and cos)
            y = b2.norm(dim=-1) * (b1 * n2).sum(dim=-1) => y = (b1 * n2).sum(dim=-1)
        a torsion has a sign (clockwise positive, looking from b to c): y = |b2| b1 ·
        n2, not the unsigned |n1 × n2|
            y = b2.norm(dim=-1) * (b1 * n2).sum(dim=-1) => \
                y = torch.linalg.cross(n1, n2, dim=-1).norm(dim=-1)
        """),
    ),
    row(
        "ideal_backbone.place_atom",
        points=2,
        cases=[
            Case("batched, fixed length and angle", partial(_place, batched=True)),
            Case("lengths and angles per atom", partial(_place, batched=False)),
        ],
        mistakes=edits(r"""
        the frame sits at c with its x-axis towards b: rigid_from_3_points(a, c, b)
        (x2 is the origin)
            rigid_from_3_points(a, c, b) => rigid_from_3_points(a, b, c)
        the z-coordinate is -length sin θ sin τ: this frame's x-axis points from c
        back to b, which flips the torsion's sense
            -angle.sin() * torsion.sin() => angle.sin() * torsion.sin()
        θ is the angle b-c-d, measured from the x-axis (c -> b): the x-coordinate is
        length cos θ (-cos θ is the angle's supplement)
            angle.cos().expand_as(torsion) => -angle.cos().expand_as(torsion)
        d_local is in the frame's coordinates: frame.apply takes it to global ones
            frame.apply( => frame.invert_apply(
        """),
    ),
    row(
        "ideal_backbone.build_backbone",
        points=2,
        cases=[
            Case("random φ, ψ", partial(_chain, typed=False)),
            Case("cis peptides, every residue type", partial(_chain, typed=True)),
        ],
        mistakes=edits(r"""
        N_i is placed by ψ of the previous residue (N, CA, C of residue i-1, then
        N_i): psi[i - 1]
            psi[i - 1] => psi[i]
        CA_i is placed by ω_i (about the C-N peptide bond), C_i by φ_i (about N-CA)
            omega[i] => phi[i]
            phi[i]) => omega[i])
        place_atom takes angles in radians: convert the peptide bond angles
            math.radians(_CA_C_N) => _CA_C_N
            math.radians(_C_N_CA) => _C_N_CA
        """),
    ),
    row(
        "ideal_backbone.helix_parameters",
        points=2,
        cases=[
            Case(
                "random backbones", lambda d: ((d.randn("x", "B", "N_res", 3, 3),), {})
            ),
            Case("α-helix and β-strand", _ideal),
        ],
        mistakes=edits(r"""
        the step is ΔT_i = T_i⁻¹ ∘ T_(i+1): invert the first frame
            T[..., :-1].invert().compose(T[..., 1:]) => T[..., :-1].compose(T[..., 1:])
        a residue's frame comes from N, CA, C: x1 = N, x2 = CA (the origin), x3 = C
            rigid_from_3_points(x[..., 0, :], x[..., 1, :], x[..., 2, :]) => \
                rigid_from_3_points(x[..., 1, :], x[..., 0, :], x[..., 2, :])
        trace(R) = 1 + 2 cos θ: cos θ = (trace(R) - 1) / 2
            .sum(-1) - 1) / 2 => .sum(-1)) / 2
        w = (R32 - R23, R13 - R31, R21 - R12) / 2 = sin θ u; (R23 - R32, ...) points
        the axis the other way and flips the twist's sign
            A = (R - R.transpose(-1, -2)) / 2 => A = (R.transpose(-1, -2) - R) / 2
        the rise is the shift along the axis, t · u, not the step's length |t|
            rise = along.abs() => rise = t.norm(dim=-1)
        the twist has a sign: negative for a left-handed screw (rise along -u)
            twist = torch.atan2(sin, cos) * torch.sign(along) => \
                twist = torch.atan2(sin, cos)
        """),
    ),
]
