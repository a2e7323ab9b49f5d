"""How much memory the trunk needs: bytes as a function of the chain length, the MSA
depths, the chunk size and the precision.

The model counts the tensors alive at the peak of each layer of one Evoformer block
(SI Algorithm 6), beyond its inputs ``m`` and ``z``, and takes the largest. Two
forms of the block:

- plain (``EvoformerBlock.forward``): each update ``z = z + f(z)`` holds the new
  ``z``, the update and the layer's intermediates; the largest is the triangle
  multiplication's (about 8 tensors of ``z``'s size), unless the attention logits
  of an unchunked layer are larger (they grow as L^3).
- in place (``low_memory.py``, the default of ``predict``): a copy of ``z``, one
  full-size projection of the triangle multiplication, and one slice of ``rows``
  rows; at a few rows the peak is about 2 ``z``.

The whole model adds the inputs (``m``, ``z``, the extra MSA ``e``), the previous
pass's outputs, the weights and the structure module (small beside ``z`` at large L).
Checked against the peak resident memory of one block on a CPU (fp32, N_seq = 32,
``benchmarks/bench_memory.py``, the table in the README): the model is above the
measurement by 4 % at L = 1,024 in place, up to 20 % at L = 128, where small
tensors weigh more; ``tests/test_memory_model.py`` repeats the check at L = 128.
"""

from __future__ import annotations

# AF2's sizes (reference.config): channels and heads that the activations carry.
C_M, C_Z, C_E = 256, 128, 64
H_MSA, C_MSA_ATT = 8, 32  # MSA row/column attention
H_TRI, C_TRI_ATT = 4, 32  # triangle attention
C_MUL, C_OPM, N_TRANSITION = 128, 32, 4
N_PARAMS = 93_000_000  # weights of the monomer model
BYTES = {"fp32": 4, "tf32": 4, "bf16": 2}  # activations; z stays float32 (4)


def block_peak_bytes(
    L: int,
    N_seq: int,
    chunk_size: int | None = None,
    inplace: bool = False,
    precision: str = "fp32",
    c_m: int = C_M,
) -> int:
    """Extra peak bytes of one Evoformer block beyond its inputs ``m`` and ``z``.

    Args:
        L: residues.
        N_seq: MSA rows (N_clust for the main stack, N_extra with ``c_m=C_E`` for
            the extra-MSA stack).
        chunk_size: rows per chunked call (``None``: unchunked; in place: the
            default rows of ``low_memory.default_rows``).
        inplace: the in-place block (``low_memory.py``) or the plain one.
        precision: ``"fp32"``, ``"tf32"`` or ``"bf16"``.
        c_m: MSA channels.
    """
    from .low_memory import default_rows

    e = BYTES[precision]
    Z = L * L * C_Z * 4  # z itself, float32
    pair = L * L  # elements of one channel of the pair
    if inplace:
        r = min(chunk_size or default_rows(L), L)
        attention_rows = min(r, N_seq)
        layers = [
            # MSA row attention: LayerNorm(z) while the pair bias is made, then
            # the bias and, per chunk of MSA rows, the logits and their softmax
            H_MSA * pair * e + max(Z, 2 * attention_rows * H_MSA * pair * e),
            # triangle multiplication: the full projection, a slice's a, g, o
            L * L * C_MUL * e + 6 * r * L * C_MUL * e,
            # triangle attention: the bias, a slice's logits, softmax, q, k, v, g
            H_TRI * pair * e + 2 * r * H_TRI * pair * e + 5 * r * L * C_Z * e,
            # outer product mean: a, b [N_seq, L, c], a slice's outer products
            2 * N_seq * L * C_OPM * e + 2 * r * L * C_OPM * C_OPM * e,
            # pair transition: a slice's hidden layer
            2 * r * L * C_Z * N_TRANSITION * e,
        ]
        return int(Z + max(layers) + 3 * N_seq * L * c_m * e)
    rows = chunk_size or L  # attention rows per call
    msa_rows = min(chunk_size or N_seq, N_seq)
    layers = [
        # MSA row attention: LayerNorm(z), then the bias, logits and softmax
        H_MSA * pair * e + max(Z, 2 * msa_rows * H_MSA * pair * e),
        # triangle multiplication: LayerNorm(z), a, b, g, the einsum's copies of a
        # and b, its output (c_mul = c_z: one z each)
        7 * L * L * C_MUL * e,
        # triangle attention: LayerNorm(z), q, k, v, g, o, and per chunk of rows
        # the logits and their softmax
        6 * Z * e // 4 + 2 * min(rows, L) * H_TRI * pair * e,
        # outer product mean: a, b, the [L, L, c*c] outer products (chunk of rows)
        2 * N_seq * L * C_OPM * e + 2 * min(rows, L) * L * C_OPM * C_OPM * e,
        # pair transition: the hidden layer, per chunk of rows
        2 * min(rows, L) * L * C_Z * N_TRANSITION * e,
    ]
    # the current z and the update being added to it
    return int(2 * Z + max(layers) + 3 * N_seq * L * c_m * e)


def model_peak_bytes(
    L: int,
    N_clust: int = 512,
    N_extra: int = 5120,
    chunk_size: int | None = None,
    inplace: bool = True,
    precision: str = "fp32",
) -> int:
    """Peak bytes of one pass of the whole model: weights, the pass's inputs and
    representations, the previous pass's outputs, and the largest block's peak."""
    e = BYTES[precision]
    Z = L * L * C_Z * 4
    held = (
        N_PARAMS * 4  # weights, float32
        + 2 * Z  # z, and the previous pass's pair
        + N_clust * L * (C_M * e + 49 * 4)  # m and msa_feat
        + N_extra * L * (C_E * e + 25 * 4)  # e and the extra-MSA features
        + L * L * 64 * 4 * 3  # the heads: distogram, PAE logits, a transient
        + L * L * 12 * 4 * 4  # IPA: pair bias, logits, weights, distances (12 heads)
    )
    blocks = max(
        block_peak_bytes(L, N_clust, chunk_size, inplace, precision),
        block_peak_bytes(L, N_extra, chunk_size, inplace, precision, c_m=C_E),
    )
    return int(held + blocks)


def largest_length(
    memory_bytes: float,
    N_clust: int = 512,
    N_extra: int = 5120,
    chunk_size: int | None = None,
    inplace: bool = True,
    precision: str = "fp32",
) -> int:
    """The longest chain whose pass fits in ``memory_bytes`` (bisection on L)."""
    lo, hi = 1, 1
    while model_peak_bytes(hi, N_clust, N_extra, chunk_size, inplace, precision) <= (
        memory_bytes
    ):
        lo, hi = hi, hi * 2
    while hi - lo > 1:
        mid = (lo + hi) // 2
        fits = model_peak_bytes(mid, N_clust, N_extra, chunk_size, inplace, precision)
        lo, hi = (mid, hi) if fits <= memory_bytes else (lo, mid)
    return lo


def auto_chunk_size(
    L: int,
    N_clust: int,
    N_extra: int,
    free_bytes: float,
    inplace: bool = True,
    precision: str = "fp32",
) -> int | None:
    """The largest chunk size (rows) whose pass fits in ``free_bytes``; ``None``
    (unchunked) when the plain blocks fit unchunked; 1 when nothing fits."""
    if (
        not inplace
        and model_peak_bytes(L, N_clust, N_extra, None, False, precision) <= free_bytes
    ):
        return None
    for rows in (256, 128, 64, 32, 16, 8, 4, 2):
        fits = model_peak_bytes(L, N_clust, N_extra, rows, inplace, precision)
        if fits <= free_bytes:
            return rows
    return 1
