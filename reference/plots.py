"""Figures for predictions and lessons: pLDDT, PAE, MSA depth, and a 3D view.

Every helper returns a ``matplotlib.figure.Figure`` (built without pyplot, so a
notebook shows it once, where it is returned) and does nothing on import.
Colours follow the AlphaFold Database: pLDDT in four bands.
"""

from __future__ import annotations

import numpy as np

# (lower bound, colour, label), high to low: the AlphaFold Database's pLDDT bands.
PLDDT_BANDS = (
    (90.0, "#0053D6", "very high (> 90)"),
    (70.0, "#65CBF3", "confident (70-90)"),
    (50.0, "#FFDB13", "low (50-70)"),
    (0.0, "#FF7D45", "very low (< 50)"),
)


def plddt_colour(value: float) -> str:
    """The AlphaFold Database colour of one pLDDT value (0-100)."""
    for lower, colour, _ in PLDDT_BANDS:
        if value > lower:
            return colour
    return PLDDT_BANDS[-1][1]


def _numpy(x) -> np.ndarray:
    if hasattr(x, "detach"):
        x = x.detach().cpu().float().numpy()
    return np.asarray(x, dtype=float)


def _figure(figsize):
    from matplotlib.figure import Figure

    return Figure(figsize=figsize, layout="constrained")


def plot_plddt(plddt, title: str = "Predicted LDDT per residue"):
    """pLDDT per residue over the four AlphaFold Database bands.

    plddt: [N_res] values in 0-100 (residues numbered from 1).
    """
    plddt = _numpy(plddt)
    residues = np.arange(1, plddt.shape[0] + 1)
    fig = _figure((7, 3))
    ax = fig.add_subplot()
    upper = 100.0
    for lower, colour, label in PLDDT_BANDS:
        ax.axhspan(lower, upper, color=colour, alpha=0.25, lw=0, label=label)
        upper = lower
    ax.plot(residues, plddt, color="0.2", lw=1)
    ax.scatter(
        residues,
        plddt,
        c=[plddt_colour(v) for v in plddt],
        s=12,
        zorder=3,
        edgecolors="none",
    )
    ax.set(
        xlim=(0.5, plddt.shape[0] + 0.5),
        ylim=(0, 100),
        xlabel="residue",
        ylabel="pLDDT",
        title=title,
    )
    ax.legend(loc="lower left", fontsize="small", ncols=2, framealpha=0.9)
    return fig


def plot_pae(pae, max_pae: float | None = None, title: str = "Predicted aligned error"):
    """PAE heatmap, square, with a colourbar in Å.

    pae: [N_res, N_res]; ``pae[i, j]`` is the expected error of residue j's position
    when predicted and true structures are aligned on residue i's frame, so rows
    (y axis, residue i) are the aligned residues and columns (x axis, residue j)
    the scored ones, as in the AlphaFold Database's PAE view.
    """
    pae = _numpy(pae)
    n = pae.shape[0]
    fig = _figure((5, 4.3))
    ax = fig.add_subplot()
    extent = (0.5, n + 0.5, n + 0.5, 0.5)
    image = ax.imshow(
        pae, cmap="viridis", vmin=0, vmax=max_pae or float(pae.max()), extent=extent
    )
    ax.set(
        aspect="equal",
        xlabel="residue j (scored)",
        ylabel="residue i (aligned)",
        title=title,
    )
    fig.colorbar(image, ax=ax, label="expected position error (Å)")
    return fig


def _msa_codes(msa) -> tuple[np.ndarray, np.ndarray]:
    """(is_residue [N_seq, N_res] bool, identity to row 0 [N_seq]) of an MSA given as
    aligned strings (gaps '-') or integers in AF order (gap = 21)."""
    if isinstance(msa, (list, tuple)) and msa and isinstance(msa[0], str):
        arr = np.array([list(s) for s in msa])
        present = arr != "-"
    else:
        arr = _numpy(msa).astype(np.int64)
        present = arr != 21
    same = (arr == arr[0:1]) & present
    identity = same.sum(1) / np.maximum(present[0].sum(), 1)
    return present, identity


def plot_msa_coverage(msa, title: str = "MSA coverage"):
    """Which positions each MSA row covers (coloured by identity to the query, rows
    sorted by it) and the depth: the number of non-gap rows per position.

    msa: aligned rows, query first, as a list of strings (gap '-', insertions
    removed) or an integer array [N_seq, N_res] in AF order (gap = 21).
    """
    present, identity = _msa_codes(msa)
    order = np.argsort(-identity, kind="stable")
    # [N_seq, N_res]: identity where a residue is present, NaN (blank) at gaps
    image = np.where(present[order], identity[order, None], np.nan)
    n_seq, n_res = image.shape
    fig = _figure((7, 4))
    ax = fig.add_subplot()
    shown = ax.imshow(
        image,
        cmap="viridis",
        vmin=0,
        vmax=1,
        aspect="auto",
        interpolation="nearest",
        extent=(0.5, n_res + 0.5, n_seq, 0),
    )
    ax.set(
        xlabel="residue",
        ylabel="sequences (sorted by identity)",
        title=f"{title} ({n_seq} sequences)",
    )
    twin = ax.twinx()
    twin.plot(np.arange(1, n_res + 1), present.sum(0), color="black", lw=1.5)
    twin.set(ylim=(0, n_seq), ylabel="depth: non-gap sequences (line)")
    fig.colorbar(
        shown,
        ax=[ax, twin],
        label="sequence identity to query",
        location="bottom",
        shrink=0.6,
    )
    return fig


def show_structure(
    pdb_text: str, color_by: str = "plddt", width: int = 640, height: int = 480
):
    """The course's 3D view: a PDB text as a cartoon, drawn offline (3Dmol.js ships
    with the package; see ``structure_view``). Shows itself when it is the last
    expression of a notebook cell; ``view.write_html("x.html")`` saves a page.

    color_by: ``"plddt"`` (the B-factor column in the AlphaFold Database's four
    bands), ``"rainbow"`` (N- to C-terminus) or ``"chain"``.
    """
    if color_by not in ("plddt", "rainbow", "chain"):
        raise ValueError(
            f"color_by must be 'plddt', 'rainbow' or 'chain', not {color_by!r}"
        )
    try:
        from .structure_view import StructureView
    except ImportError:
        raise ImportError("show_structure needs py3Dmol: pip install py3Dmol") from None
    view = StructureView(width=width, height=height)
    view.addModel(pdb_text, "pdb")
    if color_by == "plddt":
        view.setStyle({"cartoon": {"color": "white"}})
        for chain, resi, b in _residue_b_factors(pdb_text):
            view.setStyle(
                {"chain": chain, "resi": resi}, {"cartoon": {"color": plddt_colour(b)}}
            )
    elif color_by == "rainbow":
        view.setStyle({"cartoon": {"color": "spectrum"}})
    else:
        view.setStyle({"cartoon": {"colorscheme": "chain"}})
    view.zoomTo()
    return view


def _residue_b_factors(pdb_text: str) -> list[tuple[str, int, float]]:
    """(chain, residue number, B-factor of its first atom) of each residue of a PDB."""
    seen, out = set(), []
    for line in pdb_text.splitlines():
        if line.startswith("ATOM"):
            key = (line[21], int(line[22:26]))
            if key not in seen:
                seen.add(key)
                out.append((*key, float(line[60:66])))
    return out
