"""Exercises of ``reference/weights.py`` (lesson 7): how DeepMind's file names and
layouts meet the parameters of the student's modules."""

from functools import partial

from ..cases import Case, Exercise, edits
from ..inputs import Draw

row = partial(Exercise, lesson=7)


def _haiku_linear(d: Draw, out: tuple[str, ...]):
    """A haiku weight [c_in, *out] and the torch shape [prod(out), c_in]."""
    import math

    import torch

    shape = torch.Size([math.prod(d.shape(*out)), d.c_in])
    return (d.randn("w", "c_in", *out), shape), {}


def _linear_rule(d: Draw):
    """A Linear rule of a real table (another one in the hidden run)."""
    from reference.weights import Linear

    if d.hidden:
        return (
            Linear("transition_1"),
            "structure_module/fold_iteration",
            "linear_2",
        ), {}
    return (Linear("transition1"), "evoformer/msa_transition", "linear_1"), {}


def _layer_norm_rule(d: Draw, top: bool = False):
    """A LayerNorm rule of a real table; ``top``: of a module with no scope above."""
    from reference.weights import LayerNorm

    if d.hidden:
        rule, scope, attr = LayerNorm("query_norm"), "msa_row_attention", "layer_norm_m"
    else:
        rule, scope = LayerNorm("input_layer_norm"), "predicted_lddt_head"
        attr = "layer_norm"
    return (rule, "" if top else scope, attr), {}


EXERCISES = [
    row(
        "weights.linear_weight",
        points=1,
        sizes=dict(c_in=5, c_out=7, N_head=3, c=2),
        hidden=dict(c_in=6, c_out=4, N_head=5, c=3),
        cases=[
            Case("a Linear [c_in, c_out]", partial(_haiku_linear, out=("c_out",))),
            Case(
                "a projection to heads [c_in, N_head, c]",
                partial(_haiku_linear, out=("N_head", "c")),
            ),
        ],
        mistakes=edits(r"""
        haiku stores [c_in, c_out], torch [c_out, c_in]: transpose; a reshape alone
        keeps the numbers in the wrong order
            a.reshape(a.shape[0], -1).T.reshape(shape) => a.reshape(shape)
        merge the output axes (N_head, c) first, then transpose: reversing every axis
        (numpy's a.T) puts the heads and channels in the wrong order
            a.reshape(a.shape[0], -1).T.reshape(shape) => \
                a.permute(*range(a.dim() - 1, -1, -1)).reshape(shape)
        the input axis is the first one ([c_in, *out]): reshape(c_in, -1), not
        reshape(-1, last axis)
            a.reshape(a.shape[0], -1).T => a.reshape(-1, a.shape[-1]).T
        """),
    ),
    row(
        "weights.linear_arrays",
        points=1,
        cases=[
            Case("a Linear in a table", _linear_rule),
            Case(
                "a Linear at the top",
                lambda d: ((_linear_rule(d)[0][0], "", "linear_out"), {}),
            ),
        ],
        mistakes=edits(r"""
        haiku's Linear weights are [in, out]: their transform is "linear" (transposed),
        not "same"
            (f"{attr}.weight", f"{sub}//weights", "linear") => \
                (f"{attr}.weight", f"{sub}//weights", "same")
        '//' separates the module path from the array name: <scope>/<sub>//weights
            f"{sub}//weights" => f"{sub}/weights"
            f"{sub}//bias" => f"{sub}/bias"
        the arrays of a haiku Linear are named "weights" and "bias"
            f"{sub}//weights" => f"{sub}//weight"
        the module path is _join(scope, rule.scope): at the top (scope "") there is no
        leading "/"
            sub = _join(scope, rule.scope) => sub = f"{scope}/{rule.scope}"
        """),
    ),
    row(
        "weights.layer_norm_arrays",
        points=1,
        cases=[
            Case("a LayerNorm in a table", _layer_norm_rule),
            Case("a LayerNorm at the top", partial(_layer_norm_rule, top=True)),
        ],
        mistakes=edits(r"""
        a LayerNorm's scale is our weight and its offset our bias
            (f"{attr}.weight", f"{sub}//scale", "same") => \
                (f"{attr}.weight", f"{sub}//offset", "same")
            (f"{attr}.bias", f"{sub}//offset", "same") => \
                (f"{attr}.bias", f"{sub}//scale", "same")
        the arrays of a haiku LayerNorm are named "scale" and "offset"
            f"{sub}//scale" => f"{sub}//weight"
            f"{sub}//offset" => f"{sub}//bias"
        """),
    ),
]
