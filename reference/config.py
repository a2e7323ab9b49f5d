"""Model configuration: every AlphaFold2 hyperparameter, with its SI source beside it.

"SI" is the Supplementary Information of Jumper et al., Nature 596 (2021). Only
``AlphaFold`` reads a config; it passes explicit arguments down to the modules,
whose constructor defaults are the same SI values.

``model_config("model_3_ptm")`` gives the settings of one of DeepMind's five
monomer models (SI Table 5; the ``_ptm`` variants add the predicted-aligned-error
head, SI §1.9.7). Templates are not part of this model, so the five presets
differ only in the extra-MSA depth fed to the model and in the pTM head.
``tiny_config()`` is a profile with few blocks for the tests.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

PRECISIONS = ("fp32", "tf32", "bf16")


@dataclass(frozen=True)
class AlphaFoldConfig:
    """Hyperparameters of the AlphaFold2 monomer model (inference, no templates)."""

    # --- representation sizes ---
    c_m: int = 256  # SI Alg. 3, MSA representation channels
    c_z: int = 128  # SI Alg. 3, pair representation channels
    c_s: int = 384  # SI Alg. 6, line 3, single representation channels
    c_e: int = 64  # SI Alg. 2, line 15, extra-MSA representation channels

    # --- input features (SI §1.2.9, Table 1) ---
    tf_dim: int = 22  # target_feat: has_break + one-hot of 21 residue types
    msa_dim: int = 49  # msa_feat: 23 + 1 + 1 + 23 + 1 channels
    extra_msa_dim: int = (
        25  # extra_msa_feat: one-hot(23) + has_deletion + deletion_value
    )

    # --- embedders ---
    relpos_k: int = 32  # SI Alg. 4, line 2: bins -32..32, 65 in all
    recycle_min_bin: float = 3.25  # SI Alg. 32, line 2 (edges of the released code)
    recycle_max_bin: float = 20.75  # SI Alg. 32, line 2
    recycle_num_bins: int = 15  # SI Alg. 32, line 2

    # --- extra-MSA stack (SI Alg. 18) ---
    N_extra_block: int = 4  # SI §1.7.2, Alg. 18: N_block = 4
    c_extra_att: int = 8  # SI Alg. 18/19: c = 8 for the extra-MSA attention
    N_head_extra: int = 8  # SI Alg. 18/19: 8 heads

    # --- Evoformer stack (SI Alg. 6) ---
    N_evoformer_block: int = 48  # SI Alg. 6: N_block = 48
    c_msa_att: int = 32  # SI Alg. 7, 8: c = 32
    N_head_msa: int = 8  # SI Alg. 7, 8: N_head = 8
    c_opm: int = 32  # SI Alg. 10: c = 32
    c_tri_mul: int = 128  # SI Alg. 11, 12: c = 128
    c_tri_att: int = 32  # SI Alg. 13, 14: c = 32
    N_head_tri: int = 4  # SI Alg. 13, 14: N_head = 4
    transition_n: int = 4  # SI Alg. 9, 15: n = 4

    # --- structure module (SI Alg. 20, 22) ---
    N_structure_layer: int = 8  # SI Alg. 20: N_layer = 8, shared weights
    c_ipa: int = 16  # SI Alg. 22: c = 16
    N_head_ipa: int = 12  # SI Alg. 22: N_head = 12
    N_query_points: int = 4  # SI Alg. 22: N_query_points = 4
    N_point_values: int = 8  # SI Alg. 22: N_point_values = 8
    c_resnet: int = 128  # SI Alg. 20, line 11 / Alg. 24: angle ResNet c = 128
    position_scale: float = 10.0  # SI Alg. 20, line 20: nm -> Angstrom factor 10

    # --- heads (SI §1.9) ---
    N_distogram_bins: int = 64  # SI §1.9.8: 64 bins
    N_plddt_bins: int = 50  # SI Alg. 29: 50 bins of lDDT-Cα
    c_plddt: int = 128  # SI Alg. 29: c = 128
    ptm: bool = False  # SI §1.9.7: the _ptm models add the PAE head
    N_pae_bins: int = 64  # SI §1.9.7: 64 bins
    pae_max_error_bin: float = 31.0  # SI §1.9.7: bins of 0.5 Å up to 31.75 Å
    N_masked_msa_classes: int = 23  # SI §1.9.9: 20 aa + X + gap + mask
    N_atom37: int = 37  # SI §1.9.10: experimentally-resolved head, one per atom

    # --- recycling (SI Alg. 2, §1.10) ---
    num_recycle: int = 3  # SI §1.10: N_cycle = 4 passes at inference

    # --- input pipeline sizes (SI §1.2.7, Table 5) ---
    max_msa_clusters: int = 512  # SI §1.2.7: N_clust = 512
    max_extra_msa: int = 1024  # SI Table 5: 1024 (models 2, 5) or 5120 (models 1, 3, 4)

    # --- execution (no effect on the maths beyond rounding) ---
    chunk_size: int | None = None  # rows per call in chunked layers (SI §1.11.8)
    precision: str = "fp32"  # "fp32", "tf32" or "bf16"; the structure module stays fp32
    inplace: bool = False  # at inference, pair updates in place (low_memory.py)
    fused_attention: bool = False  # at inference, torch's scaled_dot_product_attention

    def __post_init__(self):
        if self.precision not in PRECISIONS:
            raise ValueError(
                f"precision must be one of {PRECISIONS}, got {self.precision!r}"
            )

    def replace(self, **changes) -> AlphaFoldConfig:
        """A copy with some values changed."""
        return dataclasses.replace(self, **changes)


# SI Table 5: models 1, 3, 4 were fine-tuned with 5120 extra sequences, 2 and 5 with
# 1024.
# Models 1 and 2 also use templates, which this model leaves out.
_EXTRA_MSA = {1: 5120, 2: 1024, 3: 5120, 4: 5120, 5: 1024}

MODEL_NAMES = tuple(f"model_{i}{s}" for s in ("", "_ptm") for i in range(1, 6))


def model_config(name: str = "model_1_ptm", **overrides) -> AlphaFoldConfig:
    """The config of one of DeepMind's monomer models, e.g. ``"model_3_ptm"``.

    Keyword arguments override single values (e.g. ``chunk_size=64``).
    """
    if name not in MODEL_NAMES:
        raise ValueError(
            f"unknown model {name!r}; choose one of {', '.join(MODEL_NAMES)}"
        )
    i = int(name.split("_")[1])
    cfg = AlphaFoldConfig(ptm=name.endswith("_ptm"), max_extra_msa=_EXTRA_MSA[i])
    return cfg.replace(**overrides)


def tiny_config(**overrides) -> AlphaFoldConfig:
    """A small profile for fast tests: few blocks, narrow channels, few sequences."""
    cfg = AlphaFoldConfig(
        c_m=24,
        c_z=16,
        c_s=40,
        c_e=8,
        N_extra_block=1,
        c_extra_att=4,
        N_head_extra=2,
        N_evoformer_block=2,
        c_msa_att=8,
        N_head_msa=3,
        c_opm=6,
        c_tri_mul=12,
        c_tri_att=8,
        N_head_tri=2,
        transition_n=2,
        N_structure_layer=3,
        c_ipa=8,
        N_head_ipa=4,
        N_query_points=3,
        N_point_values=5,
        c_resnet=16,
        c_plddt=16,
        ptm=True,
        num_recycle=1,
        max_msa_clusters=8,
        max_extra_msa=12,
    )
    return cfg.replace(**overrides)


@dataclass(frozen=True)
class LossConfig:
    """The constants of the training losses (SI §1.9, §1.11)."""

    fape_clamp: float = 10.0  # SI Alg. 28: d_clamp = 10 Å
    fape_length_scale: float = 10.0  # SI Alg. 28: Z = 10 Å
    clamped_fape_fraction: float = 0.9  # SI §1.11.5: 90% of batches clamp FAPE
    distogram_first_break: float = 2.3125  # SI §1.9.8: 64 bins, 2-22 Å
    distogram_last_break: float = 21.6875  # SI §1.9.8 (edges of the released code)
    lddt_cutoff: float = 15.0  # SI §1.9.6: lDDT-Cα inclusion radius 15 Å
    # SI Eq. 7 (initial training): L = 0.5 L_FAPE + 0.5 L_aux + 0.3 L_dist
    # + 2.0 L_msa + 0.01 L_conf.
    weights: dict = dataclasses.field(
        default_factory=lambda: {
            "fape": 0.5,
            "aux": 0.5,
            "distogram": 0.3,
            "masked_msa": 2.0,
            "plddt": 0.01,
        }
    )
