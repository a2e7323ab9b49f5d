"""Shared inputs of the trunk tests: odd sizes, padding rows and residues present."""

import numpy as np

N_SEQ, N_RES = 5, 7


# Block sizes that make an Evoformer or extra-MSA block tiny (for chunking and fast-path
# tests in float64).
SMALL = dict(
    c_hidden_msa_att=3,
    N_head_msa=2,
    c_hidden_opm=3,
    c_hidden_mul=5,
    c_hidden_pair_att=3,
    N_head_pair=2,
    n_transition=2,
)


def trunk_inputs(seed: int = 0, c_m: int = 256, c_z: int = 128, n_seq: int = N_SEQ):
    """(m, z, msa_mask, pair_mask) as float32 numpy arrays.

    The last MSA row is padding (mask 0), the last residue is padding, and a few
    more MSA entries are masked at random.
    """
    rng = np.random.default_rng(seed)
    m = rng.standard_normal((n_seq, N_RES, c_m)).astype(np.float32)
    z = rng.standard_normal((N_RES, N_RES, c_z)).astype(np.float32)
    seq_mask = np.ones(N_RES, np.float32)
    seq_mask[-1] = 0
    msa_mask = (rng.random((n_seq, N_RES)) > 0.2).astype(np.float32) * seq_mask
    msa_mask[0] = seq_mask
    msa_mask[-1] = 0
    pair_mask = seq_mask[:, None] * seq_mask[None, :]
    return m, z, msa_mask, pair_mask
