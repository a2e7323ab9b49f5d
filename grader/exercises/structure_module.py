"""Exercises of ``reference/structure_module.py`` (lesson 6): the backbone update (SI
Alg. 23), the transition and the angle ResNet (SI Alg. 20, lines 8-14), one layer of
the structure module and the whole module (SI Alg. 20).

A layer is also checked for equivariance: moving every input frame by one global
rigid motion G moves its new frames by G and changes nothing else. The whole module's
gradient with respect to its input ``s`` is checked too: the stop-gradient on the
rotations between layers changes no output, only gradients."""

from functools import partial

from ..cases import Case, Exercise, edits
from ..inputs import Draw
from .geometry import rigids

# No size is 3 (xyz), and none of B, N_res, N_layer, c_s is 2 (sin, cos), 4 (4x4),
# 6 (the update), 7 (torsions), 8 (groups), 14 or 37 (atoms): the axes of the
# outputs. IPA's heads and points, inside a layer, are small so that the module's
# check stays fast.
SMALL = dict(B=5, N_res=9, c_s=11, c=13)
SMALL_HIDDEN = dict(B=1, N_res=10, c_s=12, c=9)
SIZES = dict(
    B=5, N_res=9, N_layer=10, c_s=11, c_z=6, c=4, N_head=2, P_q=7, P_v=8, c_r=12
)
HIDDEN = dict(
    B=9, N_res=10, N_layer=5, c_s=12, c_z=7, c=6, N_head=2, P_q=4, P_v=8, c_r=11
)
MODULE = dict(
    c_s="c_s",
    c_z="c_z",
    c_ipa="c",
    N_head="N_head",
    N_query_points="P_q",
    N_point_values="P_v",
    c_resnet="c_r",
    N_layer="N_layer",
)
small = partial(Exercise, lesson=6, sizes=SMALL, hidden=SMALL_HIDDEN)
row = partial(Exercise, lesson=6, sizes=SIZES, hidden=HIDDEN, init=MODULE)


def _single(d: Draw, batch: bool):
    return (d.randn("s", *(("B",) if batch else ()), "N_res", "c_s"),), {}


SINGLE = [
    Case("batched", partial(_single, batch=True)),
    Case("one chain", partial(_single, batch=False)),
]


def _angle_inputs(d: Draw, batch: bool):
    lead = ("B",) if batch else ()
    return (
        d.randn("s", *lead, "N_res", "c_s"),
        d.randn("s_initial", *lead, "N_res", "c_s"),
    ), {}


def _layer_inputs(d: Draw):
    """``s, s_initial, z, T, seq_mask`` of a layer: frames with translations of order
    one (nm), a padded residue and one chain entirely masked."""
    return (
        d.randn("s", "B", "N_res", "c_s"),
        d.randn("s_initial", "B", "N_res", "c_s"),
        d.randn("z", "B", "N_res", "N_res", "c_z"),
        rigids(d, "frames", "B", "N_res"),
        d.mask("seq_mask", "B", "N_res"),
    ), {}


def _moved(d: Draw):
    """A layer's inputs and one motion G per chain, [B, 1]."""
    args, _ = _layer_inputs(d)
    return (*args, rigids(d, "G", "B", 1)), {}


def equivariance(sm, s, s_initial, z, r, seq_mask, g):
    """One layer on frames moved by G against the layer on the frames themselves: the
    changes of s, of G⁻¹ ∘ T_new (rotation, translation) and of the angles, all zero
    for an equivariant layer."""
    s1, r1, raw1, alpha1 = sm._layer(s, s_initial, z, r, seq_mask)
    s2, r2, raw2, alpha2 = sm._layer(s, s_initial, z, g.compose(r), seq_mask)
    back = g.invert().compose(r2)
    return s2 - s1, back.rot - r1.rot, back.trans - r1.trans, raw2 - raw1


def _module_inputs(d: Draw, gradient: bool):
    """``s, z, aatype, seq_mask``: random residue types (X included), a padded
    residue and (batched) one chain entirely masked; with ``gradient``, one chain,
    and the gradient of the outputs' sum with respect to ``s`` is checked too."""
    lead = () if gradient else ("B",)
    s = d.randn("s", *lead, "N_res", "c_s")
    mask = d.seq_mask("seq_mask") if gradient else d.mask("seq_mask", "B", "N_res")
    return (
        d.gradient(s, "s") if gradient else s,
        d.randn("z", *lead, "N_res", "N_res", "c_z"),
        d.randint("aatype", 21, *lead, "N_res"),
        mask,
    ), {}


EXERCISES = [
    small(
        "structure_module.BackboneUpdate",
        points=2,
        init=dict(c_s="c_s"),
        cases=SINGLE,
        mistakes=edits(r"""
        one Linear gives (b, c, d) first, then the translation t
            bcd, t = self.linear(s).split(3, dim=-1) => \
                t, bcd = self.linear(s).split(3, dim=-1)
        the quaternion is (1, b, c, d): the real part comes first (AF2's convention)
            torch.cat([torch.ones_like(bcd[..., :1]), bcd], dim=-1) => \
                torch.cat([bcd, torch.ones_like(bcd[..., :1])], dim=-1)
        the real part is 1, so that small (b, c, d) give a small rotation; a real
        part 0 gives rotations by 180°
            torch.ones_like(bcd[..., :1]) => torch.zeros_like(bcd[..., :1])
        """),
    ),
    small(
        "structure_module.StructureModuleTransition",
        points=1,
        init=dict(c_s="c_s"),
        cases=SINGLE,
        mistakes=edits(r"""
        the transition is residual: s + Linear(relu(Linear(relu(Linear(s)))))
            s = s + self.linear_3( => s = self.linear_3(
        a ReLU after each of the first two Linears
            self.linear_3(torch.relu(self.linear_2( => self.linear_3((self.linear_2(
        the sum is layer-normalised (SI Alg. 20, line 9)
            s = self.layer_norm(s) => s = s
        """),
    ),
    small(
        "structure_module.AngleResnet",
        points=2,
        init=dict(c_s="c_s", c="c"),
        owns=("AngleResnetBlock.forward",),
        cases=[
            Case("batched", partial(_angle_inputs, batch=True)),
            Case("one chain", partial(_angle_inputs, batch=False)),
        ],
        mistakes=edits(r"""
        AF2 applies a ReLU to s and to s_initial before their Linears (it differs
        from the SI here)
            self.linear_in(torch.relu(s)) + self.linear_initial(torch.relu(s_initial)) \
                => self.linear_in(s) + self.linear_initial(s_initial)
        linear_in reads the current s, linear_initial the structure module's input
        s_initial
            self.linear_in(torch.relu(s)) + self.linear_initial(torch.relu(s_initial)) \
                => self.linear_in(torch.relu(s_initial)) + \
                self.linear_initial(torch.relu(s))
        each ResNet block is residual: a + Linear(relu(Linear(relu(a))))
            a = a + self.linear_2( => a = self.linear_2(
        alpha holds unit vectors: divide each (sin, cos) pair by its norm
            alpha = alpha_unnormalized / torch.sqrt(torch.clamp(norm2, min=1e-12)) \
                => alpha = alpha_unnormalized
        normalise each (sin, cos) pair (the last axis), not across the torsions
            norm2 = alpha_unnormalized.square().sum(-1, keepdim=True) => \
                norm2 = alpha_unnormalized.square().sum(-2, keepdim=True)
        """),
    ),
    row(
        "structure_module.StructureModule._layer",
        points=2,
        cases=[
            Case("batched, padding and a masked chain", _layer_inputs),
            Case(
                "equivariance: G ∘ T in, G ∘ T_new out, s and the angles unchanged",
                _moved,
                call=equivariance,
            ),
        ],
        mistakes=edits(r"""
        T_i ∘ T_update: the update is expressed in the residue's own frame, so it is
        applied first (Rigid.compose applies its argument first)
            r = r.compose(self.backbone_update(s)) => \
                r = self.backbone_update(s).compose(r)
        IPA gives an update: s = s + IPA(s, z, T) (SI Alg. 20, line 6)
            s = s + self.invariant_point_attention(s, z, r, seq_mask) => \
                s = self.invariant_point_attention(s, z, r, seq_mask)
        layer-normalise s after IPA's update (SI Alg. 20, line 7)
            s = self.layer_norm_ipa(s) => s = s
        the backbone update reads s after the transition
            s = self.transition(s) => s_old = s\n        s = self.transition(s)
            r = r.compose(self.backbone_update(s)) => \
                r = r.compose(self.backbone_update(s_old))
        """),
    ),
    row(
        "structure_module.StructureModule",
        points=3,
        cases=[
            Case(
                "batched, padding and a masked chain",
                partial(_module_inputs, gradient=False),
            ),
            Case(
                "one chain, the gradient with respect to s",
                partial(_module_inputs, gradient=True),
            ),
        ],
        mistakes=edits(r"""
        the rotations get no gradient between layers (SI Alg. 20, line 20):
        r.stop_rot_gradient() (it changes no output, only gradients)
            r = r.stop_rot_gradient() => r = r
        keep each layer's frames before the stop-gradient: the atoms and the losses
        of a layer pass their gradient to its rotations
            frames.append(r.scale_translation(self.position_scale)) => \
                r = r.stop_rot_gradient() \
                \n            frames.append(r.scale_translation(self.position_scale))
            r = r.stop_rot_gradient() => pass
        the frames are in nm inside the module (units of position_scale = 10 Å):
        multiply their translations by position_scale for the outputs in Å
            frames.append(r.scale_translation(self.position_scale)) => frames.append(r)
        s_initial is the layer-normalised input; the initial projection reads it
            s = self.linear_in(s_initial) => s = self.linear_in(s)
        layer-normalise z too (SI Alg. 20, line 2)
            z = self.layer_norm_z(z) => z = z
        """),
    ),
]
