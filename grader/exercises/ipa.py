"""Exercises of ``reference/ipa.py`` (lesson 6): invariant point attention (SI Alg. 22),
one exercise per group of its lines. Frames are random rigid transforms with
translations of a few Å; points, like AF2's at initialisation, are of order one.

Besides the reference's outputs, the steps that touch frames are checked for the
property that names the module: moving every frame by one global rigid motion G
leaves the whole IPA's output unchanged (the rest of the IPA is the reference one
while a step is checked)."""

from functools import partial

from ..cases import Case, Exercise, edits
from ..inputs import Draw
from .geometry import rigids

# No size is 3 (coordinates); N_res differs from every channel size.
row = partial(
    Exercise,
    lesson=6,
    init=dict(
        c_s="c_s",
        c_z="c_z",
        c="c",
        N_head="N_head",
        N_query_points="P_q",
        N_point_values="P_v",
    ),
    sizes=dict(B=2, N_res=7, c_s=10, c_z=6, c=5, N_head=4, P_q=9, P_v=11),
    hidden=dict(B=5, N_res=9, c_s=13, c_z=7, c=6, N_head=2, P_q=4, P_v=10),
)


def ipa_inputs(d: Draw, batch: bool = True) -> tuple:
    """``s, z, r, seq_mask`` of one IPA call: random frames, a padded residue, and
    (batched) one chain entirely masked."""
    lead = ("B",) if batch else ()
    s = d.randn("s", *lead, "N_res", "c_s")
    z = d.randn("z", *lead, "N_res", "N_res", "c_z")
    r = rigids(d, "frames", *lead, "N_res")
    mask = d.mask("seq_mask", *lead, "N_res") if batch else d.seq_mask("seq_mask")
    return s, z, r, mask


def invariance(ipa, s, z, r, seq_mask, g):
    """IPA(s, z, G ∘ T) - IPA(s, z, T): zero for an invariant module."""
    return ipa(s, z, g.compose(r), seq_mask) - ipa(s, z, r, seq_mask)


def _moved(d: Draw):
    """The inputs of a batched IPA call and one motion G per chain [B, 1]: a random
    rotation and a translation of tens of Å."""
    g = rigids(d, "G", "B", 1)
    return (*ipa_inputs(d), type(g)(g.rot, 10 * g.trans)), {}


INVARIANCE = Case(
    "invariance: IPA(s, z, G ∘ T) - IPA(s, z, T) = 0 for a global motion G",
    _moved,
    call=invariance,
)


EXERCISES = [
    row(
        "ipa.InvariantPointAttention._scalar_qkv",
        points=1,
        cases=[
            Case("batched", lambda d: ((d.randn("s", "B", "N_res", "c_s"),), {})),
            Case("one chain", lambda d: ((d.randn("s", "N_res", "c_s"),), {})),
        ],
        mistakes=edits(r"""
        linear_kv gives, per head, the c key channels first, then the c value
        channels: k, v = kv.split(c), in that order
            k, v = kv.split(self.c, dim=-1) => v, k = kv.split(self.c, dim=-1)
        the heads are the outer axis of linear_kv's output (N_head, 2 c), not the
        inner one
            kv = self.linear_kv(s).unflatten(-1, (self.N_head, 2 * self.c)) => \
                kv = self.linear_kv(s).unflatten(-1, (2 * self.c, self.N_head)) \
                .transpose(-1, -2)
        the queries come from linear_q, the keys and values from linear_kv
            q = self.linear_q(s) => q = self.linear_kv(s)[..., : self.N_head * self.c]
        """),
    ),
    row(
        "ipa.InvariantPointAttention._points",
        points=2,
        cases=[
            Case(
                "batched",
                lambda d: (
                    (
                        d.randn("s", "B", "N_res", "c_s"),
                        rigids(d, "frames", "B", "N_res"),
                    ),
                    {},
                ),
            ),
            Case(
                "one chain",
                lambda d: (
                    (d.randn("s", "N_res", "c_s"), rigids(d, "frames", "N_res")),
                    {},
                ),
            ),
            INVARIANCE,
        ],
        mistakes=edits(r"""
        the points are predicted in each residue's local frame: map them to the
        global frame with T_i (SI Alg. 22, line 7) before distances are taken;
        distances between local points ignore where the residues are
            q_pts = r[..., None, None].apply(q_pts) => q_pts = q_pts
            kv_pts = r[..., None, None].apply(kv_pts) => kv_pts = kv_pts
        T_i ∘ x = R_i x + t_i takes local points to global ones: apply, not
        invert_apply
            q_pts = r[..., None, None].apply(q_pts) => \
                q_pts = r[..., None, None].invert_apply(q_pts)
            kv_pts = r[..., None, None].apply(kv_pts) => \
                kv_pts = r[..., None, None].invert_apply(kv_pts)
        AF2's layout of the Linear output is all x, then all y, then all z: the
        coordinate is the outer axis (3, N_head, P), not the inner one
            unflatten(-1, (3, self.N_head, P_q))\n        q_pts = \
                q_pts.movedim(-3, -1) => unflatten(-1, (self.N_head, P_q, 3))
            unflatten(-1, (3, self.N_head, P_q + P_v))\n        kv_pts = \
                kv_pts.movedim(-3, -1) => unflatten(-1, (self.N_head, P_q + P_v, 3))
        """),
    ),
    row(
        "ipa.InvariantPointAttention._logits",
        points=3,
        cases=[
            Case(
                "batched",
                lambda d: (
                    (
                        d.randn("q", "B", "N_res", "N_head", "c"),
                        d.randn("k", "B", "N_res", "N_head", "c"),
                        d.randn("q_pts", "B", "N_res", "N_head", "P_q", 3),
                        d.randn("k_pts", "B", "N_res", "N_head", "P_q", 3),
                        d.randn("z", "B", "N_res", "N_res", "c_z"),
                    ),
                    {},
                ),
            ),
            Case(
                "one chain, points tens of Å apart",
                lambda d: (
                    (
                        d.randn("q", "N_res", "N_head", "c"),
                        d.randn("k", "N_res", "N_head", "c"),
                        d.randn("q_pts", "N_res", "N_head", "P_q", 3, scale=10.0),
                        d.randn("k_pts", "N_res", "N_head", "P_q", 3, scale=10.0),
                        d.randn("z", "N_res", "N_res", "c_z"),
                    ),
                    {},
                ),
            ),
            INVARIANCE,
        ],
        mistakes=edits(r"""
        gamma^h = softplus(head weight): the stored head weights are before the
        softplus, which keeps every head's point weight positive
            gamma = nn.functional.softplus(self.head_weights) => \
                gamma = self.head_weights
        w_C = sqrt(2 / (9 N_query_points)): the sum over N_query_points squared
        distances has variance 9 N_query_points / 2 at initialisation
            w_C = math.sqrt(2 / (9 * self.N_query_points)) => w_C = math.sqrt(2 / 9)
        w_L = sqrt(1/3) weighs all three terms (scalar, pair and point): their sum
        then has unit variance
            w_L = math.sqrt(1 / 3) => w_L = 1.0
        the scalar term is q · k / sqrt(c), as in ordinary attention
            w_L * self.c**-0.5 * q => w_L * q
        the point term is a *penalty*: far-apart points lower the logit (minus sign)
            point = -(w_L * w_C / 2) => point = (w_L * w_C / 2)
        the pair bias b_ij belongs to query i and key j: move the heads before i, j
        without swapping i and j
            self.linear_b(z).movedim(-1, -3) => \
                self.linear_b(z).movedim(-1, -3).transpose(-1, -2)
        """),
    ),
    row(
        "ipa.InvariantPointAttention._attention",
        points=1,
        cases=[
            Case(
                "batched, padding and a masked chain",
                lambda d: (
                    (
                        d.randn("logits", "B", "N_head", "N_res", "N_res", scale=3.0),
                        d.mask("seq_mask", "B", "N_res"),
                    ),
                    {},
                ),
            ),
        ],
        mistakes=edits(r"""
        softmax over the keys j (the last axis): each query's weights sum to one
            torch.softmax(logits, dim=-1) => torch.softmax(logits, dim=-2)
        pairs with a padded residue get -1e5 added to their logits, so that no real
        residue attends to padding
            logits = logits - 1e5 * (1 - pair_mask[..., None, :, :]) => \
                logits = logits
        the mask is per pair: mask_i mask_j, so a padded query is masked too (AF2
        adds the same -1e5 to a padded query's whole row)
            pair_mask = seq_mask[..., :, None] * seq_mask[..., None, :] => \
                pair_mask = seq_mask[..., None, :].expand(*seq_mask.shape, -1)
        """),
    ),
    row(
        "ipa.InvariantPointAttention._output",
        points=3,
        cases=[
            Case(
                "batched",
                lambda d: (
                    (
                        d.probabilities("a", "B", "N_head", "N_res", "N_res"),
                        d.randn("v", "B", "N_res", "N_head", "c"),
                        d.randn("v_pts", "B", "N_res", "N_head", "P_v", 3, scale=5.0),
                        d.randn("z", "B", "N_res", "N_res", "c_z"),
                        rigids(d, "frames", "B", "N_res"),
                    ),
                    {},
                ),
            ),
            INVARIANCE,
        ],
        mistakes=edits(r"""
        the attended points are global; map them back into the query residue's frame
        with T_i^-1 (invert_apply), not T_i: that makes the output invariant
            o_pts = r[..., None, None].invert_apply(o_pts) => \
                o_pts = r[..., None, None].apply(o_pts)
        the attended points must go back into the local frame of residue i (T_i^-1):
        global coordinates change when the whole protein moves
            o_pts = r[..., None, None].invert_apply(o_pts) => o_pts = o_pts
        the pair output is sum_j a_hij z_ij: z's first residue axis is i
            "...hij,...ijc->...ihc" => "...hij,...jic->...ihc"
        AF2's feature order holds all x of o_pts, then all y, then all z
            o_pts.movedim(-1, -3).flatten(-3) => o_pts.flatten(-3)
        |o_pts| is the Euclidean norm of each point: the square root of the sum of
        the squared coordinates
            torch.sqrt(self.eps + o_pts.square().sum(-1)) => \
                self.eps + o_pts.abs().sum(-1)
        o_hi = sum_j a_hij v_hj: the rows of a (the last but one axis) are the queries
            (a @ v.movedim(-2, -3)) => (a.transpose(-1, -2) @ v.movedim(-2, -3))
        """),
    ),
]
