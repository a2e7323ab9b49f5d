"""Load OpenFold's ``.pt`` checkpoints by translating them into DeepMind's npz layout.

OpenFold (Ahdritz et al., 2024) is a PyTorch AlphaFold2 with its own module names.
Its released weights (``finetuning_*.pt``) are a flat ``state_dict``. This module
renames every array to DeepMind's flat key (``alphafold/alphafold_iteration/...//name``),
reshapes it to DeepMind's layout, and hands the result to the npz loader, so both
weight sources go through one loading path.

Where OpenFold's layout differs from DeepMind's:

- ``nn.Linear`` weights are ``[out, in]`` (DeepMind: ``[in, out]``): transposed.
- Attention projections keep heads merged, ``linear_q.weight [H*c, c_in]``
  (DeepMind: ``query_w [c_in, H, c]``, ``gating_b [H, c]``, ``output_w [H, c, c_out]``).
- The outer-product-mean output is ``[c_z, c*c]`` (DeepMind: ``output_w [c, c, c_z]``).
- Per-block modules are separate keys ``blocks.{i}`` (DeepMind: one array per
  parameter with a leading block axis).
- Triangle multiplication is unfused in the released monomer weights; for the
  incoming update OpenFold's ``linear_a_*`` is DeepMind's ``right_*`` (and ``b`` is
  ``left``), because DeepMind's incoming einsum swaps the SI's a and b.
- Older checkpoints (all released ones) use older module names (``core.tri_mul_out``,
  ``ipa.linear_q_points``); they are renamed to the current ones first.
- Template weights are present in ``finetuning_[1-5].pt``; this model has no
  template stack, so they are skipped (as DeepMind's template arrays are).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import torch

from .weights import WeightError

# --- the table: OpenFold module -> DeepMind scope, and how its arrays are stored ------
# kinds: "linear" (weight + bias), "weight" (bias-free linear, the scope ends in //name),
# "ln" (LayerNorm), "param" (a bare parameter), "attention", "global_attention",
# "opm_out" (the outer-product-mean output linear). For attention, the config field
# giving the number of heads follows.
_BLOCK = {
    "msa_att_row.layer_norm_m": ("msa_row_attention_with_pair_bias/query_norm", "ln"),
    "msa_att_row.layer_norm_z": ("msa_row_attention_with_pair_bias/feat_2d_norm", "ln"),
    "msa_att_row.linear_z": (
        "msa_row_attention_with_pair_bias//feat_2d_weights",
        "weight",
    ),
    "msa_att_row.mha": (
        "msa_row_attention_with_pair_bias/attention",
        "attention",
        "N_head_msa",
    ),
    "msa_transition.layer_norm": ("msa_transition/input_layer_norm", "ln"),
    "msa_transition.linear_1": ("msa_transition/transition1", "linear"),
    "msa_transition.linear_2": ("msa_transition/transition2", "linear"),
    "outer_product_mean.layer_norm": ("outer_product_mean/layer_norm_input", "ln"),
    "outer_product_mean.linear_1": ("outer_product_mean/left_projection", "linear"),
    "outer_product_mean.linear_2": ("outer_product_mean/right_projection", "linear"),
    "outer_product_mean.linear_out": ("outer_product_mean", "opm_out"),
    "pair_stack.pair_transition.layer_norm": ("pair_transition/input_layer_norm", "ln"),
    "pair_stack.pair_transition.linear_1": ("pair_transition/transition1", "linear"),
    "pair_stack.pair_transition.linear_2": ("pair_transition/transition2", "linear"),
}
for _of, _af, _swap in (
    ("tri_mul_out", "outgoing", False),
    ("tri_mul_in", "incoming", True),
):
    _left, _right = ("b", "a") if _swap else ("a", "b")
    _BLOCK.update(
        {
            f"pair_stack.{_of}.layer_norm_in": (
                f"triangle_multiplication_{_af}/layer_norm_input",
                "ln",
            ),
            f"pair_stack.{_of}.linear_{_left}_p": (
                f"triangle_multiplication_{_af}/left_projection",
                "linear",
            ),
            f"pair_stack.{_of}.linear_{_right}_p": (
                f"triangle_multiplication_{_af}/right_projection",
                "linear",
            ),
            f"pair_stack.{_of}.linear_{_left}_g": (
                f"triangle_multiplication_{_af}/left_gate",
                "linear",
            ),
            f"pair_stack.{_of}.linear_{_right}_g": (
                f"triangle_multiplication_{_af}/right_gate",
                "linear",
            ),
            f"pair_stack.{_of}.layer_norm_out": (
                f"triangle_multiplication_{_af}/center_layer_norm",
                "ln",
            ),
            f"pair_stack.{_of}.linear_z": (
                f"triangle_multiplication_{_af}/output_projection",
                "linear",
            ),
            f"pair_stack.{_of}.linear_g": (
                f"triangle_multiplication_{_af}/gating_linear",
                "linear",
            ),
        }
    )
for _of, _af in (("tri_att_start", "starting"), ("tri_att_end", "ending")):
    _BLOCK.update(
        {
            f"pair_stack.{_of}.layer_norm": (
                f"triangle_attention_{_af}_node/query_norm",
                "ln",
            ),
            f"pair_stack.{_of}.linear": (
                f"triangle_attention_{_af}_node//feat_2d_weights",
                "weight",
            ),
            f"pair_stack.{_of}.mha": (
                f"triangle_attention_{_af}_node/attention",
                "attention",
                "N_head_tri",
            ),
        }
    )

EVOFORMER_BLOCK = {
    **_BLOCK,
    "msa_att_col._msa_att.layer_norm_m": ("msa_column_attention/query_norm", "ln"),
    "msa_att_col._msa_att.mha": (
        "msa_column_attention/attention",
        "attention",
        "N_head_msa",
    ),
}
EXTRA_MSA_BLOCK = {
    **_BLOCK,
    "msa_att_row.mha": (
        "msa_row_attention_with_pair_bias/attention",
        "attention",
        "N_head_extra",
    ),
    "msa_att_col.layer_norm_m": ("msa_column_global_attention/query_norm", "ln"),
    "msa_att_col.global_attention": (
        "msa_column_global_attention/attention",
        "global_attention",
        "N_head_extra",
    ),
}

_SM = "structure_module/fold_iteration"
TOP = {
    "input_embedder.linear_tf_m": ("evoformer/preprocess_1d", "linear"),
    "input_embedder.linear_msa_m": ("evoformer/preprocess_msa", "linear"),
    "input_embedder.linear_tf_z_i": ("evoformer/left_single", "linear"),
    "input_embedder.linear_tf_z_j": ("evoformer/right_single", "linear"),
    "input_embedder.linear_relpos": ("evoformer/pair_activiations", "linear"),  # sic
    "recycling_embedder.linear": ("evoformer/prev_pos_linear", "linear"),
    "recycling_embedder.layer_norm_m": ("evoformer/prev_msa_first_row_norm", "ln"),
    "recycling_embedder.layer_norm_z": ("evoformer/prev_pair_norm", "ln"),
    "extra_msa_embedder.linear": ("evoformer/extra_msa_activations", "linear"),
    "evoformer.linear": ("evoformer/single_activations", "linear"),
    "structure_module.layer_norm_s": ("structure_module/single_layer_norm", "ln"),
    "structure_module.linear_in": ("structure_module/initial_projection", "linear"),
    "structure_module.layer_norm_z": ("structure_module/pair_layer_norm", "ln"),
    "structure_module.ipa.linear_q": (
        f"{_SM}/invariant_point_attention/q_scalar",
        "linear",
    ),
    "structure_module.ipa.linear_kv": (
        f"{_SM}/invariant_point_attention/kv_scalar",
        "linear",
    ),
    "structure_module.ipa.linear_q_points.linear": (
        f"{_SM}/invariant_point_attention/q_point_local",
        "linear",
    ),
    "structure_module.ipa.linear_kv_points.linear": (
        f"{_SM}/invariant_point_attention/kv_point_local",
        "linear",
    ),
    "structure_module.ipa.head_weights": (
        f"{_SM}/invariant_point_attention//trainable_point_weights",
        "param",
    ),
    "structure_module.ipa.linear_b": (
        f"{_SM}/invariant_point_attention/attention_2d",
        "linear",
    ),
    "structure_module.ipa.linear_out": (
        f"{_SM}/invariant_point_attention/output_projection",
        "linear",
    ),
    "structure_module.layer_norm_ipa": (f"{_SM}/attention_layer_norm", "ln"),
    "structure_module.transition.layers.0.linear_1": (f"{_SM}/transition", "linear"),
    "structure_module.transition.layers.0.linear_2": (f"{_SM}/transition_1", "linear"),
    "structure_module.transition.layers.0.linear_3": (f"{_SM}/transition_2", "linear"),
    "structure_module.transition.layer_norm": (f"{_SM}/transition_layer_norm", "ln"),
    "structure_module.bb_update.linear": (f"{_SM}/affine_update", "linear"),
    "structure_module.angle_resnet.linear_in": (
        f"{_SM}/rigid_sidechain/input_projection",
        "linear",
    ),
    "structure_module.angle_resnet.linear_initial": (
        f"{_SM}/rigid_sidechain/input_projection_1",
        "linear",
    ),
    "structure_module.angle_resnet.layers.0.linear_1": (
        f"{_SM}/rigid_sidechain/resblock1",
        "linear",
    ),
    "structure_module.angle_resnet.layers.0.linear_2": (
        f"{_SM}/rigid_sidechain/resblock2",
        "linear",
    ),
    "structure_module.angle_resnet.layers.1.linear_1": (
        f"{_SM}/rigid_sidechain/resblock1_1",
        "linear",
    ),
    "structure_module.angle_resnet.layers.1.linear_2": (
        f"{_SM}/rigid_sidechain/resblock2_1",
        "linear",
    ),
    "structure_module.angle_resnet.linear_out": (
        f"{_SM}/rigid_sidechain/unnormalized_angles",
        "linear",
    ),
    "aux_heads.plddt.layer_norm": ("predicted_lddt_head/input_layer_norm", "ln"),
    "aux_heads.plddt.linear_1": ("predicted_lddt_head/act_0", "linear"),
    "aux_heads.plddt.linear_2": ("predicted_lddt_head/act_1", "linear"),
    "aux_heads.plddt.linear_3": ("predicted_lddt_head/logits", "linear"),
    "aux_heads.distogram.linear": ("distogram_head/half_logits", "linear"),
    "aux_heads.experimentally_resolved.linear": (
        "experimentally_resolved_head/logits",
        "linear",
    ),
    "aux_heads.masked_msa.linear": ("masked_msa_head/logits", "linear"),
    "aux_heads.tm.linear": ("predicted_aligned_error_head/logits", "linear"),
}
STACKS = {  # OpenFold block list -> (DeepMind stacked scope, block table)
    "evoformer.blocks": ("evoformer/evoformer_iteration", EVOFORMER_BLOCK),
    "extra_msa_stack.blocks": ("evoformer/extra_msa_stack", EXTRA_MSA_BLOCK),
}
PREFIX = "alphafold/alphafold_iteration/"

# Older OpenFold module names (those of the released checkpoints) -> current ones.
RENAMES = (
    (r"^extra_msa_stack\.stack\.blocks\.", "extra_msa_stack.blocks."),
    (r"\.core\.(msa_transition|outer_product_mean)\.", r".\1."),
    (
        r"\.core\.(tri_mul_out|tri_mul_in|tri_att_start|tri_att_end|pair_transition)\.",
        r".pair_stack.\1.",
    ),
    (
        r"^(evoformer\.blocks\.\d+\.msa_att_col)\.(layer_norm_m|mha)\.",
        r"\1._msa_att.\2.",
    ),
    (
        r"^structure_module\.ipa\.linear_(q|kv)_points\.(weight|bias)$",
        r"structure_module.ipa.linear_\1_points.linear.\2",
    ),
)
SKIPPED = re.compile(r"^template")  # template stack: not part of this model


# --- leaves: (OpenFold suffix, DeepMind name, transform) per kind ----------------------
def _leaves(kind: str) -> list[tuple[str, str, str]]:
    heads_in, heads_out, heads_b = "heads_in", "heads_out", "heads_bias"
    return {
        "linear": [("weight", "weights", "T"), ("bias", "bias", "same")],
        "weight": [("weight", "", "T")],
        "ln": [("weight", "scale", "same"), ("bias", "offset", "same")],
        "param": [("", "", "same")],
        "opm_out": [("weight", "output_w", "opm_out"), ("bias", "output_b", "same")],
        "attention": [
            ("linear_q.weight", "query_w", heads_in),
            ("linear_k.weight", "key_w", heads_in),
            ("linear_v.weight", "value_w", heads_in),
            ("linear_g.weight", "gating_w", heads_in),
            ("linear_g.bias", "gating_b", heads_b),
            ("linear_o.weight", "output_w", heads_out),
            ("linear_o.bias", "output_b", "same"),
        ],
        "global_attention": [  # one shared key and value head: key_w, value_w [c_in, c]
            ("linear_q.weight", "query_w", heads_in),
            ("linear_k.weight", "key_w", "T"),
            ("linear_v.weight", "value_w", "T"),
            ("linear_g.weight", "gating_w", heads_in),
            ("linear_g.bias", "gating_b", heads_b),
            ("linear_o.weight", "output_w", heads_out),
            ("linear_o.bias", "output_b", "same"),
        ],
    }[kind]


def _to_deepmind(a: np.ndarray, transform: str, H: int) -> np.ndarray:
    """One OpenFold array in DeepMind's layout."""
    if transform == "T":
        return a.T
    if transform == "heads_in":  # [H*c, c_in] -> [c_in, H, c]
        return a.T.reshape(a.shape[1], H, -1)
    if transform == "heads_bias":  # [H*c] -> [H, c]
        return a.reshape(H, -1)
    if transform == "heads_out":  # [c_out, H*c] -> [H, c, c_out]
        return a.T.reshape(H, -1, a.shape[0])
    if transform == "opm_out":  # [c_z, c*c] -> [c, c, c_z]
        c = int(round(a.shape[1] ** 0.5))
        return a.T.reshape(c, c, a.shape[0])
    return a


def _to_openfold(a: np.ndarray, transform: str) -> np.ndarray:
    """The inverse of ``_to_deepmind``."""
    if transform == "T":
        return a.T
    if transform == "heads_in":  # [c_in, H, c] -> [H*c, c_in]
        return a.reshape(a.shape[0], -1).T
    if transform in ("heads_out", "opm_out"):  # [H, c, c_out] -> [c_out, H*c]
        return a.reshape(-1, a.shape[-1]).T
    if transform == "heads_bias":
        return a.reshape(-1)
    return a


def _entries(
    n_blocks: dict[str, int],
) -> list[tuple[str, str, int | None, str, str | None]]:
    """Every (OpenFold key, DeepMind key, block index, transform, heads field)."""
    out = []

    def add(of_module, af_scope, kind, heads=None, block=None):
        for of_leaf, af_name, transform in _leaves(kind):
            of_key = f"{of_module}.{of_leaf}" if of_leaf else of_module
            scope = PREFIX + af_scope
            af_key = scope if "//" in af_scope else f"{scope}//{af_name}"
            out.append((of_key, af_key, block, transform, heads))

    for of_module, (af_scope, kind, *heads) in TOP.items():
        add(of_module, af_scope, kind, *heads)
    for of_stack, (af_stack, table) in STACKS.items():
        for i in range(n_blocks.get(of_stack, 0)):
            for of_module, (af_scope, kind, *heads) in table.items():
                add(
                    f"{of_stack}.{i}.{of_module}",
                    f"{af_stack}/{af_scope}",
                    kind,
                    *heads,
                    block=i,
                )
    return out


def normalise_state_dict(obj) -> dict[str, torch.Tensor]:
    """A checkpoint (plain, Lightning ``state_dict``, or ``ema.params``) as current
    OpenFold names, without ``module.``/``model.`` prefixes or template arrays."""
    if "ema" in obj and "params" in obj["ema"]:
        obj = obj["ema"]["params"]
    elif "state_dict" in obj:
        obj = obj["state_dict"]
    out = {}
    for key, value in obj.items():
        key = re.sub(r"^(module\.)?(model\.)?", "", key)
        for pattern, repl in RENAMES:
            key = re.sub(pattern, repl, key)
        if not SKIPPED.match(key):
            out[key] = value
    return out


def openfold_to_deepmind(state_dict, config=None) -> dict[str, np.ndarray]:
    """An OpenFold state dict as DeepMind's flat npz arrays. Strict: a key the table
    does not know raises ``WeightError`` naming it."""
    from .config import AlphaFoldConfig

    config = config or AlphaFoldConfig()
    sd = normalise_state_dict(state_dict)
    n_blocks = {}
    for key in sd:
        for stack in STACKS:
            if m := re.match(rf"{re.escape(stack)}\.(\d+)\.", key):
                n_blocks[stack] = max(n_blocks.get(stack, 0), int(m.group(1)) + 1)
    entries = {e[0]: e for e in _entries(n_blocks)}
    for key in sd:
        if key not in entries:
            raise WeightError(
                f"OpenFold checkpoint key {key!r} is not in the translation table"
            )
    blocks: dict[str, dict[int, np.ndarray]] = {}
    arrays = {}
    for key, value in sd.items():
        _, af_key, block, transform, heads = entries[key]
        a = _to_deepmind(
            value.detach().cpu().float().numpy(),
            transform,
            getattr(config, heads) if heads else 1,
        )
        if block is None:
            arrays[af_key] = a
        else:
            blocks.setdefault(af_key, {})[block] = a
    for af_key, per_block in blocks.items():
        arrays[af_key] = np.stack([per_block[i] for i in range(len(per_block))])
    return arrays


def deepmind_to_openfold(arrays) -> dict[str, torch.Tensor]:
    """DeepMind's flat npz arrays as an OpenFold state dict (current names); the
    inverse of ``openfold_to_deepmind`` for the arrays this model uses."""
    n_blocks = {
        of_stack: arrays[
            f"{PREFIX}{af_stack}/msa_transition/transition1//weights"
        ].shape[0]
        for of_stack, (af_stack, _) in STACKS.items()
        if f"{PREFIX}{af_stack}/msa_transition/transition1//weights" in arrays
    }
    out = {}
    for of_key, af_key, block, transform, _ in _entries(n_blocks):
        if af_key in arrays:
            a = np.asarray(arrays[af_key])
            a = a[block] if block is not None else a
            out[of_key] = torch.from_numpy(
                np.ascontiguousarray(_to_openfold(a, transform))
            )
    return out


def read_openfold_checkpoint(path, config=None) -> dict[str, np.ndarray]:
    """An OpenFold ``.pt`` file (read without pickle) as DeepMind's flat npz arrays."""
    try:
        sd = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise FileNotFoundError(f"parameter file not found: {path}") from None
    except (
        Exception
    ) as e:  # torch raises several kinds for a file that is no checkpoint
        reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise WeightError(
            f"{path} is not a readable OpenFold .pt checkpoint ({reason})"
        ) from None
    if not isinstance(sd, dict):
        raise WeightError(
            f"{path} holds a {type(sd).__name__}, not an OpenFold state dict"
        )
    return openfold_to_deepmind(sd, config)


def load_openfold_params(model, state_dict_or_path) -> None:
    """Fill ``model`` (an ``AlphaFold``) from an OpenFold checkpoint (path or state dict)
    through the npz loader, strictly (every parameter filled, every array used)."""
    from .weights import load_alphafold_params

    config = getattr(model, "config", None)
    if isinstance(state_dict_or_path, (str, Path)):
        arrays = read_openfold_checkpoint(state_dict_or_path, config)
    else:
        arrays = openfold_to_deepmind(state_dict_or_path, config)
    load_alphafold_params(model, arrays)
