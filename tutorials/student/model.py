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
from .config import AlphaFoldConfig, model_config
from .embedders import ExtraMsaEmbedder, InputEmbedder, RecyclingEmbedder
from .evoformer import EvoformerStack
from .extra_msa_stack import ExtraMsaStack
from .heads import (
    DistogramHead,
    ExperimentallyResolvedHead,
    MaskedMsaHead,
    PredictedAlignedErrorHead,
    PredictedLDDTHead,
    compute_plddt,
    compute_predicted_aligned_error,
    compute_ptm,
    pae_bin_centers,
)
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
    """

    def __init__(self, config: AlphaFoldConfig | None = None):
        super().__init__()
        c = self.config = config or model_config()
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

    # --- one pass ---------------------------------------------------------------------
    def embed_and_evoform(
        self, batch: Mapping[str, torch.Tensor], prev: Mapping[str, torch.Tensor]
    ) -> dict:
        """SI Alg. 2, lines 5-18: the representations of one pass.

        Args:
            batch: one pass's features (``FEATURE_RANKS``; no pass dimension).
            prev: ``prev_msa_first_row`` [N_res, c_m], ``prev_pair`` [N_res, N_res, c_z],
                ``prev_pos`` [N_res, 37, 3] (Å) from the previous pass.

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

        # SI Alg. 2, line 6: the recycled outputs (on the first pass too, from zeros)
        # YOUR CODE HERE
        raise NotImplementedError()

        # SI Alg. 2, lines 14-16: the extra MSA updates the pair representation
        # e: [N_extra, N_res, c_e]
        # YOUR CODE HERE
        raise NotImplementedError()

        # SI Alg. 2, line 17 and Alg. 6, line 12: Evoformer, then s_i = Linear(m_1i)
        # s: [N_res, c_s]
        # YOUR CODE HERE
        raise NotImplementedError()
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
            dict of named tensors (see ``forward``), including ``prev`` for the next pass.
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
        out["prev"] = {
            "prev_msa_first_row": rep["msa_first_row"].detach(),
            "prev_pair": rep["pair"].detach(),
            "prev_pos": sm["final_atom_positions"].detach(),
        }
        return out

    def initial_prev(
        self, batch: Mapping[str, torch.Tensor]
    ) -> dict[str, torch.Tensor]:
        """Zeros as the previous outputs of the first pass (SI Alg. 2, line 2)."""
        like = batch["target_feat"]
        n = like.shape[-2]
        c = self.config
        return {
            "prev_msa_first_row": like.new_zeros(n, c.c_m),
            "prev_pair": like.new_zeros(n, n, c.c_z),
            "prev_pos": like.new_zeros(n, 37, 3),
        }

    # --- recycling ----------------------------------------------------------------------
    def forward(
        self,
        batch: Mapping[str, torch.Tensor],
        num_recycle: int | None = None,
        progress: Callable[[Iterable[int]], Iterable[int]] | None = None,
    ) -> dict:
        """SI Algorithm 2: ``num_recycle + 1`` passes, each fed the previous one's outputs.

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
        # SI Alg. 2, lines 1-2 (zeros as the previous outputs), then the passes.
        # YOUR CODE HERE
        raise NotImplementedError()
        out["num_recycle"] = num_recycle
        return out

    @staticmethod
    def pass_features(
        batch: Mapping[str, torch.Tensor], r: int, num_passes: int
    ) -> dict[str, torch.Tensor]:
        """The features of pass ``r``: slice ``r`` where the features carry a pass dimension."""
        extra = batch["aatype"].dim() - FEATURE_RANKS["aatype"]
        if extra == 0:
            return {k: batch[k] for k in FEATURE_RANKS}
        n = batch["aatype"].shape[0]
        if extra != 1 or n < num_passes:
            raise ValueError(
                f"features hold {n} passes (aatype {tuple(batch['aatype'].shape)}); "
                f"{num_passes} passes need one slice each: make the features with num_recycle >= {num_passes - 1}"
            )
        return {
            k: batch[k][r] if batch[k].dim() > FEATURE_RANKS[k] else batch[k]
            for k in FEATURE_RANKS
        }

    # --- precision ----------------------------------------------------------------------
    def _precision(self):
        """The context of the trunk: fp32, TF32 matmuls, or bf16 autocast."""
        device = self.linear_single.weight.device.type
        if self.config.precision == "bf16":
            return torch.autocast(device, dtype=torch.bfloat16)
        if self.config.precision == "tf32":
            return _matmul_precision("high")
        return contextlib.nullcontext()

    def _fp32(self):
        """The context of the structure module and heads: no autocast, full-precision matmuls."""
        device = self.linear_single.weight.device.type
        stack = contextlib.ExitStack()
        stack.enter_context(torch.autocast(device, enabled=False))
        stack.enter_context(_matmul_precision("highest"))
        return stack

    # --- weights ------------------------------------------------------------------------
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


class AuxiliaryHeads(nn.Module):
    """SI §1.9: the output heads of one pass, and the confidences from their logits.

    Args:
        config: the sizes of every head (``reference.config``).
    """

    def __init__(self, config: AlphaFoldConfig):
        super().__init__()
        c = self.config = config
        self.predicted_lddt = PredictedLDDTHead(c.c_s, c.c_plddt, c.N_plddt_bins)
        self.distogram = DistogramHead(c.c_z, c.N_distogram_bins)
        self.masked_msa = MaskedMsaHead(c.c_m, c.N_masked_msa_classes)
        self.experimentally_resolved = ExperimentallyResolvedHead(c.c_s, c.N_atom37)

    def forward(
        self,
        rep: Mapping[str, torch.Tensor],
        sm: Mapping[str, torch.Tensor],
        seq_mask: torch.Tensor,
    ) -> dict:
        """The logits of every head and the confidences.

        Args:
            rep: the trunk's ``msa``, ``pair`` and ``single`` (see ``embed_and_evoform``).
            sm: the structure module's outputs (its ``single`` feeds the pLDDT head).
            seq_mask: [N_res] residue weights of the pTM score.

        Returns:
            dict of ``predicted_lddt_logits`` [N_res, 50], ``plddt`` [N_res] (0-100),
            ``distogram_logits`` [N_res, N_res, 64], ``masked_msa_logits``
            [N_clust, N_res, 23], ``experimentally_resolved_logits`` [N_res, 37].
        """
        logits = self.predicted_lddt(sm["single"])
        return {
            "predicted_lddt_logits": logits,
            "plddt": compute_plddt(logits),
            "distogram_logits": self.distogram(rep["pair"]),
            "masked_msa_logits": self.masked_msa(rep["msa"]),
            "experimentally_resolved_logits": self.experimentally_resolved(
                rep["single"]
            ),
        }


class AuxiliaryHeadsPTM(AuxiliaryHeads):
    """The heads of the ``_ptm`` models: also the predicted aligned error (SI §1.9.7)."""

    def __init__(self, config: AlphaFoldConfig):
        super().__init__(config)
        self.predicted_aligned_error = PredictedAlignedErrorHead(
            config.c_z, config.N_pae_bins
        )

    def forward(self, rep, sm, seq_mask):
        """As ``AuxiliaryHeads``, plus ``pae_logits`` [N_res, N_res, 64],
        ``predicted_aligned_error`` [N_res, N_res] (Å), ``max_predicted_aligned_error``
        [] (Å, the last bin centre) and ``ptm`` []."""
        out = super().forward(rep, sm, seq_mask)
        c = self.config
        logits = self.predicted_aligned_error(rep["pair"])
        out.update(
            pae_logits=logits,
            predicted_aligned_error=compute_predicted_aligned_error(
                logits, c.pae_max_error_bin
            ),
            max_predicted_aligned_error=pae_bin_centers(
                c.N_pae_bins, c.pae_max_error_bin
            )[-1],
            ptm=compute_ptm(logits, seq_mask, c.pae_max_error_bin),
        )
        return out


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
    """Processed numpy features -> the tensors ``AlphaFold.forward`` reads (float32, int64)."""
    out = {}
    for k in FEATURE_RANKS:
        a = np.asarray(features[k])
        t = torch.from_numpy(
            a.astype(np.float32) if a.dtype.kind == "f" else a.astype(np.int64)
        )
        out[k] = t.to(device)
    return out
