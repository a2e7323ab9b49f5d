"""Load DeepMind's ``params_model_*.npz`` into the modules of ``reference``.

DeepMind's files are flat: one array per key ``"<haiku module path>//<name>"``,
e.g. ``alphafold/alphafold_iteration/evoformer/evoformer_iteration/
msa_row_attention_with_pair_bias//feat_2d_weights``. Blocks of a stack are one
array with a leading block axis.

Every file name lives in this module, in one table per class:
``TABLES[class name][our attribute] = rule``. A rule is one of

- ``Param(name, transform)``: an ``nn.Parameter`` read from ``scope//name``;
- ``Linear(scope)``: an ``nn.Linear`` from ``scope//weights`` ``[in, out]`` and
  ``scope//bias``;
- ``LayerNorm(scope)``: an ``nn.LayerNorm`` from ``scope//scale`` and ``//offset``;
- ``Child(scope)``: a submodule with a table of its own;
- ``Stack(scope)``: an ``nn.ModuleList`` whose i-th block is slice ``[i]``.

``LEAVES`` turn a leaf rule into file keys, ``plan`` walks a module's tables down
to its leaves. Transforms come from a closed set (``TRANSFORMS``).
Loading is strict: every parameter of the module is filled and every array under
its scope is used, or the error names the key. ``export_params`` goes the other way:
a model's parameters as the arrays of a params file.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn


# --- transforms: haiku layout -> torch layout ------------------------------------
def same_layout(a: torch.Tensor, shape: torch.Size) -> torch.Tensor:
    """An array whose layout haiku and torch share (a bias, a layer-norm scale, a bare
    parameter), reshaped to ``shape`` (e.g. ``gating_b [N_head, c]`` -> ``[N_head*c]``).
    """
    return a.reshape(shape)


def linear_weight(a: torch.Tensor, shape: torch.Size) -> torch.Tensor:
    """A haiku Linear weight as a torch ``nn.Linear.weight``.

    haiku computes ``x @ w`` with ``w [c_in, *out]`` (input axis first); torch
    computes ``x @ W.T`` with ``W [c_out, c_in]``. Several output axes, like the
    heads and channels of ``query_w [c_q, N_head, c]``, become the torch layer's
    ``c_out = N_head * c`` outputs in their order.

    Args:
        a: [c_in, *out] the array of the file (as a tensor).
        shape: the torch parameter's shape [c_out, c_in], c_out = prod(out).

    Returns:
        [c_out, c_in] the same numbers in torch's layout.
    """
    # Hint: merge the output axes (reshape to [c_in, c_out]), then transpose.
    # w: [c_out, c_in]
    # YOUR CODE HERE
    raise NotImplementedError()
    return w


def heads_out_weight(a: torch.Tensor, shape: torch.Size) -> torch.Tensor:
    """haiku ``[N_head, c, c_out]`` -> torch ``[c_out, N_head*c]`` (the output
    projection of merged heads; also the outer product mean's ``[c, c, c_z]``)."""
    return a.reshape(-1, a.shape[-1]).T.reshape(shape)


TRANSFORMS: dict[str, Callable[[torch.Tensor, torch.Size], torch.Tensor]] = {
    "same": same_layout,
    "linear": linear_weight,
    "heads_out": heads_out_weight,
}
# The way back, torch -> file layout (``export_params``): output axes stay merged.
_TO_FILE: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "same": lambda w: w,
    "linear": lambda w: w.T,
    "heads_out": lambda w: w.T,
}


# --- rules ----------------------------------------------------------------------
@dataclass(frozen=True)
class Param:
    """A parameter of ours read from the array ``<scope>//<name>``."""

    name: str
    transform: str = "same"


@dataclass(frozen=True)
class Linear:
    """An ``nn.Linear`` from haiku's Linear module ``<scope>/<rule.scope>``."""

    scope: str


@dataclass(frozen=True)
class LayerNorm:
    """An ``nn.LayerNorm`` from haiku's LayerNorm module ``<scope>/<rule.scope>``."""

    scope: str


@dataclass(frozen=True)
class Child:
    """A submodule with a table of its own, under ``<scope>/<rule.scope>``."""

    scope: str


@dataclass(frozen=True)
class Stack:
    """An ``nn.ModuleList`` whose i-th block is slice ``[i]`` of every array under
    ``<scope>/<rule.scope>``."""

    scope: str


# --- leaves: the arrays of one rule -----------------------------------------------
# For each parameter a leaf rule fills: our parameter's name, the key of its array
# ("<haiku module path>//<array name>") and the transform. ``scope`` is the module
# path of the table's module, ``attr`` our attribute that the rule fills.
def _join(scope: str, sub: str) -> str:
    """The module path ``sub`` inside ``scope`` (``scope`` may be empty)."""
    return f"{scope}/{sub}" if scope else sub


def param_arrays(rule: Param, scope: str, attr: str) -> list[tuple[str, str, str]]:
    """``[(attr, "<scope>//<rule.name>", rule.transform)]``: attr is our parameter."""
    return [(attr, f"{scope}//{rule.name}", rule.transform)]


def linear_arrays(rule: Linear, scope: str, attr: str) -> list[tuple[str, str, str]]:
    """Our ``<attr>.weight`` and ``<attr>.bias``, from a haiku Linear's arrays.

    haiku's Linear holds ``weights`` [in, out] (torch's weight is [out, in]: the
    ``"linear"`` transform) and ``bias`` [out] (the same in torch: ``"same"``).

    Args:
        rule: ``Linear(<the haiku module's name>)``.
        scope: the module path of the table's module, e.g.
            ``"evoformer/msa_transition"``.
        attr: our attribute, e.g. ``"linear_1"``.

    Returns:
        ``[(our weight, its key, its transform), (our bias, its key, its transform)]``,
        e.g. ``("linear_1.weight", "evoformer/msa_transition/transition1//weights",
        ...)`` first for ``Linear("transition1")``.
    """
    # Hint: _join(scope, rule.scope) is the haiku module's path; "//" separates it
    # from the array's name.
    # YOUR CODE HERE
    raise NotImplementedError()
    return leaves


def layer_norm_arrays(
    rule: LayerNorm, scope: str, attr: str
) -> list[tuple[str, str, str]]:
    """Our ``<attr>.weight`` and ``<attr>.bias``, from a haiku LayerNorm's ``scale``
    (torch: weight) and ``offset`` (torch: bias), both ``"same"``.

    Arguments and result as ``linear_arrays``.
    """
    # YOUR CODE HERE
    raise NotImplementedError()
    return leaves


LEAVES = {Param: param_arrays, Linear: linear_arrays, LayerNorm: layer_norm_arrays}
Rule = Param | Linear | LayerNorm | Child | Stack

# TABLES[class name][attribute path] = rule. Each section belongs to one concept.
TABLES: dict[str, dict[str, Rule]] = {}

# --- trunk: attention and Evoformer ---
TABLES["Attention"] = {
    "linear_q.weight": Param("query_w", "linear"),  # [c_q, H, c]
    "linear_k.weight": Param("key_w", "linear"),
    "linear_v.weight": Param("value_w", "linear"),
    "linear_g.weight": Param("gating_w", "linear"),
    "linear_g.bias": Param("gating_b"),  # [H, c]
    "linear_o.weight": Param("output_w", "heads_out"),  # [H, c, c_out]
    "linear_o.bias": Param("output_b"),
}
TABLES["GlobalAttention"] = dict(TABLES["Attention"])  # key_w, value_w: [c_in, c]
TABLES["MSARowAttentionWithPairBias"] = {
    "layer_norm_m": LayerNorm("query_norm"),
    "layer_norm_z": LayerNorm("feat_2d_norm"),
    "linear_z.weight": Param("feat_2d_weights", "linear"),  # [c_z, H]
    "mha": Child("attention"),
}
TABLES["MSAColumnAttention"] = {
    "layer_norm_m": LayerNorm("query_norm"),
    "mha": Child("attention"),
}
TABLES["MSAColumnGlobalAttention"] = {
    "layer_norm_m": LayerNorm("query_norm"),
    "global_attention": Child("attention"),
}
TABLES["MSATransition"] = TABLES["PairTransition"] = {
    "layer_norm": LayerNorm("input_layer_norm"),
    "linear_1": Linear("transition1"),
    "linear_2": Linear("transition2"),
}
TABLES["OuterProductMean"] = {
    "layer_norm": LayerNorm("layer_norm_input"),
    "linear_a": Linear("left_projection"),
    "linear_b": Linear("right_projection"),
    "linear_out.weight": Param("output_w", "heads_out"),  # [c, c, c_z]: same reshape
    "linear_out.bias": Param("output_b"),
}
_TRIANGLE_MULTIPLICATION = {
    "layer_norm_in": LayerNorm("layer_norm_input"),
    "layer_norm_out": LayerNorm("center_layer_norm"),
    "linear_z": Linear("output_projection"),
    "linear_g": Linear("gating_linear"),
}
TABLES["TriangleMultiplicationOutgoing"] = {
    **_TRIANGLE_MULTIPLICATION,
    "linear_a_p": Linear("left_projection"),
    "linear_a_g": Linear("left_gate"),
    "linear_b_p": Linear("right_projection"),
    "linear_b_g": Linear("right_gate"),
}
# AF2 computes the incoming update as einsum('kjc,kic->ijc', left, right), so its
# "right" projection is the SI's a and its "left" projection the SI's b (Alg. 12).
TABLES["TriangleMultiplicationIncoming"] = {
    **_TRIANGLE_MULTIPLICATION,
    "linear_a_p": Linear("right_projection"),
    "linear_a_g": Linear("right_gate"),
    "linear_b_p": Linear("left_projection"),
    "linear_b_g": Linear("left_gate"),
}
TABLES["TriangleAttentionStartingNode"] = TABLES["TriangleAttentionEndingNode"] = {
    "layer_norm": LayerNorm("query_norm"),
    "linear_b.weight": Param("feat_2d_weights", "linear"),  # [c_z, H]
    "mha": Child("attention"),
}
_EVOFORMER_BLOCK = {
    name: Child(name)
    for name in (
        "msa_row_attention_with_pair_bias",
        "msa_transition",
        "outer_product_mean",
        "triangle_multiplication_outgoing",
        "triangle_multiplication_incoming",
        "triangle_attention_starting_node",
        "triangle_attention_ending_node",
        "pair_transition",
    )
}
TABLES["EvoformerBlock"] = {
    **_EVOFORMER_BLOCK,
    "msa_column_attention": Child("msa_column_attention"),
}
TABLES["ExtraMsaBlock"] = {
    **_EVOFORMER_BLOCK,
    "msa_column_global_attention": Child("msa_column_global_attention"),
}
TABLES["EvoformerStack"] = {
    "blocks": Stack("evoformer_iteration")
}  # one block per slice
TABLES["ExtraMsaStack"] = {"blocks": Stack("extra_msa_stack")}


# --- embedders and model ---
# All three embedders live in AF2's "evoformer" scope (EmbeddingsAndEvoformer).
TABLES["InputEmbedder"] = {
    "linear_tf_z_i": Linear("left_single"),
    "linear_tf_z_j": Linear("right_single"),
    "linear_tf_m": Linear("preprocess_1d"),
    "linear_msa_m": Linear("preprocess_msa"),
    "linear_relpos": Linear("pair_activiations"),  # sic: AF2's spelling
}
TABLES["RecyclingEmbedder"] = {
    "linear_d": Linear("prev_pos_linear"),
    "layer_norm_m": LayerNorm("prev_msa_first_row_norm"),
    "layer_norm_z": LayerNorm("prev_pair_norm"),
}
TABLES["ExtraMsaEmbedder"] = {"linear": Linear("extra_msa_activations")}
_TRUNK = "alphafold_iteration/evoformer"  # AF2's EmbeddingsAndEvoformer
TABLES["AlphaFold"] = {  # under the file's top scope "alphafold"
    "input_embedder": Child(_TRUNK),
    "recycling_embedder": Child(_TRUNK),
    "extra_msa_embedder": Child(_TRUNK),
    "extra_msa_stack": Child(_TRUNK),
    "evoformer": Child(_TRUNK),
    "linear_single": Linear(f"{_TRUNK}/single_activations"),  # SI Alg. 6, line 12
    "structure_module": Child("alphafold_iteration/structure_module"),
    "heads": Child("alphafold_iteration"),
}
TABLES["AuxiliaryHeads"] = {
    "predicted_lddt": Child("predicted_lddt_head"),
    "distogram": Child("distogram_head"),
    "masked_msa": Child("masked_msa_head"),
    "experimentally_resolved": Child("experimentally_resolved_head"),
}
TABLES["AuxiliaryHeadsPTM"] = {
    **TABLES["AuxiliaryHeads"],
    "predicted_aligned_error": Child("predicted_aligned_error_head"),
}
# Arrays of a params_model_*.npz that this model deliberately leaves unused.
IGNORED_PREFIXES = {
    f"alphafold/{_TRUNK}/{name}": "templates are not used by this model"
    for name in (
        "template_embedding",
        "template_single_embedding",
        "template_projection",
    )
}


# --- structure module and heads ---
TABLES["InvariantPointAttention"] = {
    "linear_q": Linear("q_scalar"),
    "linear_kv": Linear("kv_scalar"),  # per head: c key channels, then c value channels
    "linear_q_points": Linear(
        "q_point_local"
    ),  # output layout [3 (x, y, z), N_head, P_q]
    "linear_kv_points": Linear("kv_point_local"),  # [3, N_head, P_q + P_v]
    "linear_b": Linear("attention_2d"),
    "head_weights": Param("trainable_point_weights"),  # before softplus
    "linear_out": Linear("output_projection"),
}
TABLES["BackboneUpdate"] = {"linear": Linear("affine_update")}
TABLES["StructureModuleTransition"] = {
    "linear_1": Linear("transition"),
    "linear_2": Linear("transition_1"),
    "linear_3": Linear("transition_2"),
    "layer_norm": LayerNorm("transition_layer_norm"),
}
TABLES["AngleResnet"] = {  # haiku numbers repeated names: resblock1, resblock1_1, ...
    "linear_in": Linear("input_projection"),  # applied to s
    "linear_initial": Linear("input_projection_1"),  # applied to s_initial
    "blocks.0.linear_1": Linear("resblock1"),
    "blocks.0.linear_2": Linear("resblock2"),
    "blocks.1.linear_1": Linear("resblock1_1"),
    "blocks.1.linear_2": Linear("resblock2_1"),
    "linear_out": Linear("unnormalized_angles"),
}
TABLES["StructureModule"] = {  # the one shared layer is AF2's scope fold_iteration
    "layer_norm_s": LayerNorm("single_layer_norm"),
    "layer_norm_z": LayerNorm("pair_layer_norm"),
    "linear_in": Linear("initial_projection"),
    "invariant_point_attention": Child("fold_iteration/invariant_point_attention"),
    "layer_norm_ipa": LayerNorm("fold_iteration/attention_layer_norm"),
    "transition": Child("fold_iteration"),
    "backbone_update": Child("fold_iteration"),
    "angle_resnet": Child("fold_iteration/rigid_sidechain"),
}
TABLES["PredictedLDDTHead"] = {
    "layer_norm": LayerNorm("input_layer_norm"),
    "linear_1": Linear("act_0"),
    "linear_2": Linear("act_1"),
    "linear_3": Linear("logits"),
}
TABLES["DistogramHead"] = {"linear": Linear("half_logits")}
TABLES["MaskedMsaHead"] = {"linear": Linear("logits")}
TABLES["ExperimentallyResolvedHead"] = {"linear": Linear("logits")}
TABLES["PredictedAlignedErrorHead"] = {"linear": Linear("logits")}


# --- loading --------------------------------------------------------------------
class WeightError(KeyError):
    """A parameter file that does not fit the model (a missing, unused or misshapen
    key)."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


def _rules_for(module: nn.Module) -> dict[str, Rule]:
    name = type(module).__name__
    if name not in TABLES:
        raise WeightError(
            f"no weight table for {name}: add one to reference/weights.py"
        )
    return TABLES[name]


def plan(
    module: nn.Module, scope: str, index: tuple[int, ...] = ()
) -> list[tuple[str, str, tuple[int, ...], str]]:
    """Every (our parameter, file key, stack index, transform) that fills
    ``module``."""
    entries = []
    for attr, rule in _rules_for(module).items():
        if isinstance(rule, Child):
            child = module.get_submodule(attr)
            for ours, key, idx, tf in plan(child, _join(scope, rule.scope), index):
                entries.append((f"{attr}.{ours}", key, idx, tf))
        elif isinstance(rule, Stack):
            for i, block in enumerate(module.get_submodule(attr)):
                for ours, key, idx, tf in plan(
                    block, _join(scope, rule.scope), index + (i,)
                ):
                    entries.append((f"{attr}.{i}.{ours}", key, idx, tf))
        else:
            for ours, key, tf in LEAVES[type(rule)](rule, scope, attr):
                entries.append((ours, key, index, tf))
    return entries


def load_params(
    module: nn.Module,
    arrays: Mapping[str, np.ndarray],
    scope: str,
    ignore: Mapping[str, str] | None = None,
    strict: bool = True,
) -> set[str]:
    """Copy the arrays under ``scope`` into ``module``'s parameters; return the keys
    used.

    ``ignore`` maps key prefixes that the model deliberately leaves unused to the
    reason (e.g. template weights). With ``strict``, a key under ``scope`` that is
    neither used nor ignored, or a parameter without a key, raises ``WeightError``.
    """
    params = dict(module.named_parameters())
    entries = plan(module, scope)
    filled = set()
    for ours, key, index, tf in entries:
        if key not in arrays:
            raise WeightError(
                f"parameter file has no array {key!r} (needed for {ours})"
            )
        if ours not in params:
            raise WeightError(
                f"weight table names {ours!r}, which {type(module).__name__} "
                "does not have"
            )
        a = np.asarray(arrays[key])
        if len(index) > a.ndim:
            raise WeightError(
                f"{key!r} has shape {a.shape}, too few dimensions for a stack of blocks"
            )
        for i in index:
            if i >= a.shape[0]:
                raise WeightError(
                    f"{key!r} holds {a.shape[0]} blocks; the model wants block {i}"
                )
            a = a[i]
        target = params[ours]
        try:
            value = TRANSFORMS[tf](
                torch.from_numpy(np.ascontiguousarray(a)), target.shape
            )
        except RuntimeError:  # a reshape to a size that does not fit
            raise WeightError(
                f"{key!r} has shape {a.shape}; {ours} needs {tuple(target.shape)}"
            ) from None
        with torch.no_grad():
            target.copy_(value.to(target.dtype))
        filled.add(ours)
    used = {key for _, key, _, _ in entries}
    if strict:
        missing = sorted(set(params) - filled)
        if missing:
            raise WeightError(
                f"no weight-table entry fills {missing[0]} "
                f"({len(missing)} parameters in all)"
            )
        ignore = ignore or {}
        prefix = f"{scope}/" if scope else ""
        for key in arrays:
            under = key.startswith(prefix) or key.split("//")[0] == scope
            if under and key not in used and not any(key.startswith(p) for p in ignore):
                raise WeightError(
                    f"array {key!r} of the parameter file is used by no parameter"
                )
    return used


def load_npz(path: str) -> dict[str, np.ndarray]:
    """Read a ``params_model_*.npz`` without pickle; a clear error for a bad file."""
    try:
        with np.load(path, allow_pickle=False) as f:
            return {k: f[k] for k in f.files}
    except FileNotFoundError:
        raise FileNotFoundError(f"parameter file not found: {path}") from None
    except zipfile.BadZipFile as e:  # a truncated download, or a damaged array
        raise WeightError(f"{path} is damaged or truncated ({e})") from None
    except (ValueError, OSError, EOFError) as e:
        raise WeightError(
            f"{path} is not a readable params_model_*.npz file ({e})"
        ) from None


# --- model loading (embedders and model) ---


def read_params(
    path_or_arrays: str | Mapping[str, np.ndarray],
) -> Mapping[str, np.ndarray]:
    """The arrays of a params file (a path), or the arrays themselves."""
    if isinstance(path_or_arrays, Mapping):
        return path_or_arrays
    return load_npz(path_or_arrays)


def infer_model_sizes(arrays: Mapping[str, np.ndarray]) -> dict:
    """The config values a params file fixes: block counts (the leading axis of the
    stacked arrays) and whether it has the predicted-aligned-error (pTM) head."""

    def blocks(stack: str) -> int:
        prefix = f"alphafold/{_TRUNK}/{stack}/"
        counts = {a.shape[0] for k, a in arrays.items() if k.startswith(prefix)}
        if len(counts) != 1:
            found = "no arrays" if not counts else f"block counts {sorted(counts)}"
            raise WeightError(
                f"parameter file has {found} under {prefix!r}: not an AF2 monomer file"
            )
        return counts.pop()

    return {
        "N_evoformer_block": blocks("evoformer_iteration"),
        "N_extra_block": blocks("extra_msa_stack"),
        "ptm": any(
            k.startswith("alphafold/alphafold_iteration/predicted_aligned_error_head/")
            for k in arrays
        ),
    }


def load_alphafold_params(
    model: nn.Module, path_or_arrays: str | Mapping[str, np.ndarray]
) -> set[str]:
    """Load a ``params_model_*.npz`` (a path, or its arrays) into an ``AlphaFold``.

    Strict: every model parameter is filled and every array is used, except the
    template arrays (``IGNORED_PREFIXES``). A file whose block counts differ from
    the model's is refused with both counts named; build the model with
    ``AlphaFold.from_params`` to size it from the file. Returns the keys used.
    """
    arrays = read_params(path_or_arrays)
    sizes, c = infer_model_sizes(arrays), model.config
    for name, want in (
        ("N_evoformer_block", c.N_evoformer_block),
        ("N_extra_block", c.N_extra_block),
        ("ptm", c.ptm),
    ):
        if sizes[name] != want:
            raise WeightError(
                f"parameter file has {name} = {sizes[name]}, the model {want}"
            )
    outside = sorted(k for k in arrays if not k.startswith("alphafold/"))
    if outside:
        raise WeightError(
            f"array {outside[0]!r} of the parameter file is outside the "
            "'alphafold' scope"
        )
    return load_params(model, arrays, "alphafold", ignore=IGNORED_PREFIXES)


def export_params(model: nn.Module, scope: str = "alphafold") -> dict[str, np.ndarray]:
    """A model's parameters as the arrays of a params file: DeepMind's keys, the blocks
    of a stack stacked, Linear weights ``[in, out]`` (with their output axes merged,
    e.g. ``query_w [c_q, N_head*c]``, where DeepMind's file has ``[c_q, N_head, c]``).

    Loading the result back with ``load_params`` gives the same parameters.
    """
    params = dict(model.named_parameters())
    blocks: dict[str, dict[int, np.ndarray]] = {}
    arrays = {}
    for ours, key, index, tf in plan(model, scope):
        value = _TO_FILE[tf](params[ours].detach().cpu().numpy())
        if index:
            blocks.setdefault(key, {})[index[0]] = value
        else:
            arrays[key] = value
    for key, by_index in blocks.items():
        arrays[key] = np.stack([by_index[i] for i in range(len(by_index))])
    return arrays
