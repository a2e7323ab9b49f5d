"""The full AlphaFold2 model: embedders, trunk, structure module, heads and recycling.

SI Algorithm 2 "Inference". One pass (``forward_pass``) embeds the features of
that pass together with the previous pass's outputs, runs the extra-MSA stack,
the Evoformer, the structure module and the heads. ``forward`` runs
``num_recycle + 1`` passes, each on its own slice of the features, feeding every
pass's first MSA row, pair representation and atom positions into the next one.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Mapping

import numpy as np
import torch
from torch import nn

from .all_atom import pseudo_beta
from .attention import Attention
from .config import AlphaFoldConfig, model_config
from .embedders import ExtraMsaEmbedder, InputEmbedder, RecyclingEmbedder
from .evoformer import EvoformerStack
from .extra_msa_stack import ExtraMsaStack
from .heads import AuxiliaryHeads, AuxiliaryHeadsPTM
from .structure_module import StructureModule

# Features that differ from pass to pass carry a leading pass dimension in the
# processed features; these are their ranks without it.
FEATURE_RANKS = {
    "aatype": 1,
    "residue_index": 1,
    "seq_mask": 1,
    "target_feat": 2,
    "msa_feat": 3,
    "msa_mask": 2,
    "extra_msa": 2,
    "extra_has_deletion": 2,
    "extra_deletion_value": 2,
    "extra_msa_mask": 2,
}


class AlphaFold(nn.Module):
    """SI Algorithm 2 "Inference" (monomer, no templates).

    Args:
        config: the hyperparameters (``reference.config``); default model_1_ptm's.
        overrides: config values to change, e.g. ``chunk_size=64`` or ``c_m=8``.
    """

    def __init__(self, config: AlphaFoldConfig | None = None, **overrides):
        super().__init__()
        c = self.config = (config or model_config()).replace(**overrides)
        self.input_embedder = InputEmbedder(
            c.tf_dim, c.msa_dim, c.c_m, c.c_z, c.relpos_k
        )
        self.recycling_embedder = RecyclingEmbedder(
            c.c_m, c.c_z, c.recycle_min_bin, c.recycle_max_bin, c.recycle_num_bins
        )
        self.extra_msa_embedder = ExtraMsaEmbedder(c.extra_msa_dim, c.c_e)
        pair_sizes = dict(
            c_hidden_opm=c.c_opm,
            c_hidden_mul=c.c_tri_mul,
            c_hidden_pair_att=c.c_tri_att,
            N_head_pair=c.N_head_tri,
            n_transition=c.transition_n,
        )
        self.extra_msa_stack = ExtraMsaStack(
            c.N_extra_block,
            c.c_e,
            c.c_z,
            c_hidden_msa_att=c.c_extra_att,
            N_head_msa=c.N_head_extra,
            **pair_sizes,
        )
        self.evoformer = EvoformerStack(
            c.N_evoformer_block,
            c.c_m,
            c.c_z,
            c_hidden_msa_att=c.c_msa_att,
            N_head_msa=c.N_head_msa,
            **pair_sizes,
        )
        for block in (*self.extra_msa_stack.blocks, *self.evoformer.blocks):
            block.inplace = c.inplace
        for module in self.modules():
            if isinstance(module, Attention):
                module.fused = c.fused_attention
        self.linear_single = nn.Linear(c.c_m, c.c_s)
        self.structure_module = StructureModule(
            c.c_s,
            c.c_z,
            c.c_ipa,
            c.N_head_ipa,
            c.N_query_points,
            c.N_point_values,
            c.c_resnet,
            c.N_structure_layer,
            c.position_scale,
        )
        heads = AuxiliaryHeadsPTM if c.ptm else AuxiliaryHeads
        self.heads = heads(c)

    # --- one pass -------------------------------------------------------------------
    def embed_and_evoform(
        self, batch: Mapping[str, torch.Tensor], prev: Mapping[str, torch.Tensor]
    ) -> dict:
        """SI Alg. 2, lines 5-18: the representations of one pass.

        Args:
            batch: one pass's features (``FEATURE_RANKS``; no pass dimension).
            prev: the previous pass's ``prev_msa_first_row`` [N_res, c_m],
                ``prev_pair`` [N_res, N_res, c_z] and ``prev_pos`` [N_res, 37, 3] (Å).

        Returns:
            dict of ``msa`` [N_clust, N_res, c_m], ``pair`` [N_res, N_res, c_z],
            ``single`` [N_res, c_s] and ``msa_first_row`` [N_res, c_m].
        """
        chunk = self.config.chunk_size
        seq_mask = batch["seq_mask"]
        # [N_res, N_res]
        pair_mask = seq_mask[..., :, None] * seq_mask[..., None, :]

        # SI Alg. 2, line 5
        m, z = self.input_embedder(
            batch["target_feat"], batch["residue_index"], batch["msa_feat"]
        )

        # SI Alg. 2, line 6: m_1i, z_ij += RecyclingEmbedder(prev), on the first pass
        # too (from zeros). Hint: the embedder reads pseudo-β positions (pseudo_beta:
        # Cβ, Cα for glycine) and returns the updates of the first MSA row [N_res, c_m]
        # and of the pair [N_res, N_res, c_z]; only MSA row 0 receives the first.
        ### BEGIN SOLUTION
        x_prev = pseudo_beta(batch["aatype"], prev["prev_pos"])
        m_1, dz = self.recycling_embedder(
            prev["prev_msa_first_row"], prev["prev_pair"], x_prev
        )
        z = z + dz
        m = torch.cat([m[..., :1, :, :] + m_1[..., None, :, :], m[..., 1:, :, :]], -3)
        ### END SOLUTION

        # SI Alg. 2, lines 14-16: embed the extra MSA, then the extra-MSA stack, which
        # updates the pair representation only. e: [N_extra, N_res, c_e]
        ### BEGIN SOLUTION
        e = self.extra_msa_embedder(
            batch["extra_msa"],
            batch["extra_has_deletion"],
            batch["extra_deletion_value"],
        )
        z = self.extra_msa_stack(e, z, batch["extra_msa_mask"], pair_mask, chunk)
        ### END SOLUTION

        # SI Alg. 2, line 17 and Alg. 6, line 12: Evoformer, then s_i = Linear(m_1i)
        # s: [N_res, c_s]
        ### BEGIN SOLUTION
        m, z = self.evoformer(m, z, batch["msa_mask"], pair_mask, chunk)
        s = self.linear_single(m[..., 0, :, :])
        ### END SOLUTION
        return {"msa": m, "pair": z, "single": s, "msa_first_row": m[..., 0, :, :]}

    def forward_pass(
        self,
        batch: Mapping[str, torch.Tensor],
        prev: Mapping[str, torch.Tensor] | None = None,
    ) -> dict:
        """SI Alg. 2, lines 5-22: one pass of the network.

        Args:
            batch: one pass's features (no pass dimension), as ``embed_and_evoform``.
            prev: the previous pass's ``prev_*`` outputs; ``None`` gives zeros.

        Returns:
            dict of named tensors (see ``forward``), and ``prev`` for the next pass.
        """
        if prev is None:
            prev = self.initial_prev(batch)
        with self._precision():
            rep = self.embed_and_evoform(batch, prev)
        dtype = self.linear_single.weight.dtype
        rep = {k: v.to(dtype) for k, v in rep.items()}  # back from bf16
        # The structure module and the heads always run in float32 (frames and
        # softmaxes lose too much in bf16).
        with self._fp32():
            # SI Alg. 2, line 20
            sm = self.structure_module(
                rep["single"], rep["pair"], batch["aatype"], batch["seq_mask"]
            )
            out = self.heads(rep, sm, batch["seq_mask"])
        out.update(
            single=rep["single"],
            pair=rep["pair"],
            msa_first_row=rep["msa_first_row"],
            final_atom_positions=sm["final_atom_positions"],
            final_atom_mask=sm["final_atom_mask"],
        )
        # SI Alg. 2: the next pass's recycling embedder reads this pass's first MSA
        # row, pair representation and atom positions (Å), detached (SI §1.10: no
        # gradient flows from one pass to the next).
        # Hint: out["prev"] = {"prev_msa_first_row": ..., "prev_pair": ...,
        # "prev_pos": ...}: [N_res, c_m], [N_res, N_res, c_z], [N_res, 37, 3]
        ### BEGIN SOLUTION
        out["prev"] = {
            "prev_msa_first_row": rep["msa_first_row"].detach(),
            "prev_pair": rep["pair"].detach(),
            "prev_pos": sm["final_atom_positions"].detach(),
        }
        ### END SOLUTION
        return out

    def initial_prev(
        self, batch: Mapping[str, torch.Tensor]
    ) -> dict[str, torch.Tensor]:
        """The "previous outputs" of the first pass: all zeros (SI Alg. 2).

        Returns:
            ``prev_msa_first_row`` [N_res, c_m], ``prev_pair`` [N_res, N_res, c_z],
            ``prev_pos`` [N_res, 37, 3], with the dtype and device of the features.
        """
        like = batch["target_feat"]
        n, c = like.shape[-2], self.config
        return {
            "prev_msa_first_row": like.new_zeros(n, c.c_m),
            "prev_pair": like.new_zeros(n, n, c.c_z),
            "prev_pos": like.new_zeros(n, 37, 3),
        }

    # --- recycling ------------------------------------------------------------------
    def forward(
        self,
        batch: Mapping[str, torch.Tensor],
        num_recycle: int | None = None,
        progress: Callable[[Iterable[int]], Iterable[int]] | None = None,
    ) -> dict:
        """SI Algorithm 2: ``num_recycle + 1`` passes, each fed the previous one's
        outputs.

        Args:
            batch: the processed features. With a leading pass dimension
                (``aatype`` [P, N_res], ``msa_feat`` [P, N_clust, N_res, 49], ...)
                pass r reads slice r, as AF2 does when it resamples the MSA in
                every pass; without it, every pass reads the same features.
            num_recycle: extra passes after the first (default ``config.num_recycle``).
            progress: wraps the range of passes, e.g. ``tqdm`` for a progress bar.

        Returns:
            The last pass's outputs: ``final_atom_positions`` [N_res, 37, 3] (Å),
            ``final_atom_mask`` [N_res, 37], ``plddt`` [N_res] (0-100),
            ``distogram_logits`` [N_res, N_res, 64], ``predicted_aligned_error``
            [N_res, N_res] (Å) and ``ptm`` [] with the PAE head, the
            representations ``single``, ``pair``, ``msa_first_row``, and ``prev``.
        """
        if num_recycle is None:
            num_recycle = self.config.num_recycle
        passes = range(num_recycle + 1)
        if progress is not None:
            passes = progress(passes)
        # SI Alg. 2: pass r reads its own slice of the features and the previous
        # pass's outputs. Hint: self.pass_features(batch, r, num_recycle + 1) gives
        # the slice; self.forward_pass(features, prev) runs a pass (prev=None: zeros)
        # and returns its outputs, out["prev"] among them. The last pass's outputs
        # are the prediction.
        ### BEGIN SOLUTION
        prev = None
        for r in passes:
            features = self.pass_features(batch, r, num_recycle + 1)
            out = None  # the last pass's logits are not kept alive during this pass
            out = self.forward_pass(features, prev)
            prev = out["prev"]
        ### END SOLUTION
        out["num_recycle"] = num_recycle
        return out

    @staticmethod
    def pass_features(
        batch: Mapping[str, torch.Tensor], r: int, num_passes: int
    ) -> dict[str, torch.Tensor]:
        """The features of pass ``r``: slice ``r`` of those with a pass dimension."""
        extra = batch["aatype"].dim() - FEATURE_RANKS["aatype"]
        if extra == 0:
            return {k: batch[k] for k in FEATURE_RANKS}
        n = batch["aatype"].shape[0]
        if extra != 1 or n < num_passes:
            raise ValueError(
                f"features hold {n} passes (aatype {tuple(batch['aatype'].shape)}); "
                f"{num_passes} passes need one slice each: make the features with "
                f"num_recycle >= {num_passes - 1}"
            )
        return {
            k: batch[k][r] if batch[k].dim() > FEATURE_RANKS[k] else batch[k]
            for k in FEATURE_RANKS
        }

    # --- precision ------------------------------------------------------------------
    def _precision(self):
        """The context of the trunk: fp32, TF32 matmuls, or bf16 autocast."""
        device = self.linear_single.weight.device.type
        if self.config.precision == "bf16":
            return torch.autocast(device, dtype=torch.bfloat16)
        if self.config.precision == "tf32":
            return _matmul_precision("high")
        return contextlib.nullcontext()

    def _fp32(self):
        """The context of the structure module and heads: no autocast, full-precision
        matmuls."""
        device = self.linear_single.weight.device.type
        stack = contextlib.ExitStack()
        stack.enter_context(torch.autocast(device, enabled=False))
        stack.enter_context(_matmul_precision("highest"))
        return stack

    # --- weights --------------------------------------------------------------------
    @classmethod
    def from_params(cls, path_or_arrays, **overrides) -> AlphaFold:
        """A model sized to fit a ``params_model_*.npz`` (block counts and pTM head read
        from the file), with its weights loaded. ``overrides`` change config values
        (e.g. ``chunk_size=64``, ``precision="bf16"``)."""
        from .weights import infer_model_sizes, load_alphafold_params, read_params

        arrays = read_params(path_or_arrays)
        model = cls(
            model_config("model_1_ptm", **{**infer_model_sizes(arrays), **overrides})
        )
        load_alphafold_params(model, arrays)
        return model


@contextlib.contextmanager
def _matmul_precision(level: str):
    """Set ``torch.set_float32_matmul_precision`` inside the block only."""
    before = torch.get_float32_matmul_precision()
    torch.set_float32_matmul_precision(level)
    try:
        yield
    finally:
        torch.set_float32_matmul_precision(before)


def to_tensors(
    features: Mapping[str, np.ndarray], device: str | torch.device = "cpu"
) -> dict[str, torch.Tensor]:
    """Processed numpy features -> the tensors ``AlphaFold.forward`` reads (float32,
    int64)."""
    out = {}
    for k in FEATURE_RANKS:
        a = np.asarray(features[k])
        t = torch.from_numpy(
            a.astype(np.float32) if a.dtype.kind == "f" else a.astype(np.int64)
        )
        out[k] = t.to(device)
    return out
