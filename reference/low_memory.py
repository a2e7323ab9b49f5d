"""The Evoformer block at inference, in place and a few rows at a time.

The same numbers as ``EvoformerBlock.forward`` (SI Algorithm 6), written for memory:
every pair update of SI Alg. 6, lines 5-10, ``z = z + f(z)``, is computed for a
slice of rows (or columns) of ``z`` and added into that slice at once. That is exact
because each of these updates reads, for the slice it writes, only that slice of
``z`` and a tensor computed from the whole of ``z`` before the loop:

- outer product mean (Alg. 10): rows i of the update need only the MSA;
- triangle multiplication, outgoing (Alg. 11): rows i need ``a`` and ``g`` of rows i
  and ``b`` of every row (computed first, the one full-size tensor);
  incoming (Alg. 12): columns j need ``b``, ``g`` of columns j and all of ``a``;
- triangle attention around the starting node (Alg. 13): row i attends within row i,
  biased by ``b_jk`` from all of ``z`` (``N_head`` channels, computed first); the
  ending node (Alg. 14) does the same on columns;
- pair transition (Alg. 15): each element on its own.

So one block needs, besides its input, a copy of ``z`` (the input stays unchanged),
one tensor of ``z``'s size (the triangle multiplication's ``b`` or ``a``), and a
slice's intermediates. The MSA stack (Alg. 6, lines 2-4) runs as in the plain
block: the MSA representation is small beside ``z``.

``EvoformerBlock.forward`` takes this path when the block's ``inplace`` flag is set
and autograd is off (``torch.no_grad``/``inference_mode``); ``chunk_size`` is the
number of rows per slice (``default_rows(L)`` when it is ``None``).
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from .attention import mask_bias

# Rows per slice when no chunk size is given: as many as keep one slice's attention
# logits and softmax (2 * N_head * L^2 floats per MSA row, 8 heads) within this
# budget: every row at L = 64, 32 at L = 256, 2 at L = 1,024 (where z is 512 MiB).
# Short chains need big slices for speed (4 rows: 1.7x slower than the plain block
# at L = 64 on 2 threads); long ones need small slices for memory.
SLICE_BYTES = 2**27


def default_rows(L: int) -> int:
    """Rows per slice for a chain of ``L`` residues (``SLICE_BYTES``)."""
    return max(1, SLICE_BYTES // (2 * 8 * L * L * 4))


def evoformer_block_inplace(
    block, m, z, msa_mask, pair_mask, chunk_size: int | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """``block(m, z, msa_mask, pair_mask, chunk_size)`` with the pair updates done in
    place on a copy of ``z``; shapes as ``EvoformerBlock.forward``."""
    rows = chunk_size or default_rows(z.shape[-2])
    z = z.clone()
    if block.outer_product_mean_first:
        outer_product_mean_(block.outer_product_mean, m, msa_mask, z, rows)
    m = block._msa_stack(m, z, msa_mask, rows)
    if not block.outer_product_mean_first:
        outer_product_mean_(block.outer_product_mean, m, msa_mask, z, rows)
    triangle_multiplication_(block.triangle_multiplication_outgoing, z, pair_mask, rows)
    triangle_multiplication_(block.triangle_multiplication_incoming, z, pair_mask, rows)
    triangle_attention_(block.triangle_attention_starting_node, z, pair_mask, rows)
    # The ending node is the starting node on the transposed pair (a view: the
    # updates land in z).
    triangle_attention_(
        block.triangle_attention_ending_node,
        z.transpose(-2, -3),
        pair_mask.transpose(-1, -2),
        rows,
    )
    transition = block.pair_transition
    for_slices(z, -3, rows, lambda s: z[s].add_(transition(z[s])))
    return m, z


def for_slices(z: torch.Tensor, dim: int, rows: int, fn: Callable) -> None:
    """Call ``fn(index)`` for consecutive slices of at most ``rows`` along ``dim``
    (negative) of ``z``; ``index`` selects the slice: ``(..., slice(0, 32), :, :)``.
    """
    tail = (slice(None),) * (-dim - 1)
    for start in range(0, z.shape[dim], rows):
        fn((..., slice(start, start + rows), *tail))


def from_slices(z: torch.Tensor, dim: int, rows: int, fn: Callable) -> torch.Tensor:
    """The tensor whose slices along ``dim`` are ``fn(index)`` (as ``for_slices``),
    written into one output: never more than one slice besides it."""
    out = None

    def write(s):
        nonlocal out
        piece = fn(s)
        if out is None:
            shape = list(piece.shape)
            shape[dim] = z.shape[dim]
            out = piece.new_empty(shape)
        out[s] = piece

    for_slices(z, dim, rows, write)
    return out


def outer_product_mean_(opm, m, msa_mask, z, rows: int) -> None:
    """z += OuterProductMean(m, msa_mask), rows i at a time (SI Alg. 10)."""
    msa_mask = msa_mask.to(m.dtype)[..., None]
    m = opm.layer_norm(m)
    # [*, N_seq, N_res, c]
    a = msa_mask * opm.linear_a(m)
    b = msa_mask * opm.linear_b(m)
    mask = msa_mask[..., 0]

    def update(s):
        i = s[1]
        o = opm._outer_product(a[..., i, :], b)
        # [*, I, N_res]
        norm = torch.einsum("...si,...sj->...ij", mask[..., i], mask)
        z[s] += o / (1e-3 + norm[..., None])

    for_slices(z, -3, rows, update)


def triangle_multiplication_(tri, z, pair_mask, rows: int) -> None:
    """z += TriangleMultiplication*(z, pair_mask), a slice at a time (SI Alg. 11, 12).

    Outgoing (sum_k a_ik b_jk) goes by rows i with all of ``b``; incoming
    (sum_k a_ki b_kj) by columns j with all of ``a``.
    """
    from .triangle_multiplication import TriangleMultiplicationOutgoing

    outgoing = isinstance(tri, TriangleMultiplicationOutgoing)
    dim = -3 if outgoing else -2
    mask = pair_mask.to(z.dtype)[..., None]

    def project(s, linear_p, linear_g):
        # SI Alg. 11, lines 2-3 on a slice: mask * Linear(z) * sigmoid(Linear(z))
        x = tri.layer_norm_in(z[s])
        return mask[s] * linear_p(x) * torch.sigmoid(linear_g(x))

    # The full-size projection, b (outgoing) or a (incoming), before z changes,
    # stored channel first for the matrix products: full[c, x, k] is b_xk
    # (outgoing) or a_kx (incoming), x being the output index not sliced.
    full_p, full_g = (
        (tri.linear_b_p, tri.linear_b_g)
        if outgoing
        else (tri.linear_a_p, tri.linear_a_g)
    )
    part_p, part_g = (
        (tri.linear_a_p, tri.linear_a_g)
        if outgoing
        else (tri.linear_b_p, tri.linear_b_g)
    )
    full = None

    def store(s):
        nonlocal full
        # [*, c, x, k] for this slice of x
        piece = project(s, full_p, full_g).movedim(-1, -3)
        piece = piece if outgoing else piece.transpose(-1, -2)
        if full is None:
            full = piece.new_empty(piece.shape[:-2] + (z.shape[-2], z.shape[-2]))
        full[..., s[-3 if outgoing else -2], :] = piece

    for_slices(z, dim, rows, store)

    def update(s):
        # [*, c, I, k] (outgoing: a_ik) or [*, c, J, k] (incoming: b_kj)
        part = project(s, part_p, part_g).movedim(-1, -3)
        part = part if outgoing else part.transpose(-1, -2)
        # SI Alg. 11, line 5 for the slice, as a matrix product per channel:
        # outgoing sum_k a_ik b_jk, incoming sum_k a_ki b_kj. o: [*, c, I or L, L or J]
        o = part @ full.transpose(-1, -2) if outgoing else full @ part.transpose(-1, -2)
        o = o.movedim(-3, -1)
        g = torch.sigmoid(tri.linear_g(tri.layer_norm_in(z[s])))
        z[s] += g * tri.linear_z(tri.layer_norm_out(o))

    for_slices(z, dim, rows, update)


def triangle_attention_(tri, z, pair_mask, rows: int) -> None:
    """z += TriangleAttentionStartingNode(z, pair_mask), rows i at a time (SI Alg. 13).

    ``z`` may be a transposed view (the ending node, SI Alg. 14).
    """
    # [*, 1, N_head, N_res, N_res], from all of z before it changes
    tri_bias = from_slices(z, -3, rows, lambda s: tri.linear_b(tri.layer_norm(z[s])))
    tri_bias = tri_bias.movedim(-1, -3).unsqueeze(-4)

    def update(s):
        # [*, I, 1, 1, N_res]: masked edges (i, k) are masked keys of row i
        key_bias = mask_bias(pair_mask[s[:3]].to(z.dtype))[..., None, None, :]
        x = tri.layer_norm(z[s])
        z[s] += tri.mha(x, x, (key_bias, tri_bias))

    for_slices(z, -3, rows, update)
