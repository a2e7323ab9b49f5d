"""Figures of a training run: the loss curve with lDDT-Cα, contact maps, and the
structure condensing from the black-hole start.

Every helper returns a ``matplotlib.figure.Figure`` (built without pyplot) and does
nothing on import.
"""

from __future__ import annotations

import numpy as np

from .plots import _figure, _numpy

CONTACT = 8.0  # Å: Cα-Cα distance of a contact


def superpose(x: np.ndarray, target: np.ndarray):
    """The proper rotation and shift (Kabsch) that move ``x`` [N, 3] onto ``target``
    [N, 3] in the least-squares sense: a function of points [..., 3]."""
    x, target = np.asarray(x, float), np.asarray(target, float)
    xc, tc = x - x.mean(0), target - target.mean(0)
    u, _, vt = np.linalg.svd(xc.T @ tc)
    d = np.sign(np.linalg.det(u @ vt))
    rot = u @ np.diag([1.0, 1.0, d]) @ vt
    return lambda points: (np.asarray(points, float) - x.mean(0)) @ rot + target.mean(0)


def kabsch(x: np.ndarray, target: np.ndarray) -> np.ndarray:
    """``x`` [N, 3] superposed on ``target`` [N, 3] (a rotation, no reflection)."""
    return superpose(x, target)(x)


def plot_training(history: dict, reference: dict | None = None):
    """The total loss per step and lDDT-Cα at each evaluation.

    history: ``reference.training.train``'s output. reference: another run's history
    (e.g. the recorded full run), drawn in grey.
    """
    fig = _figure((10, 3.4))
    ax_loss, ax_lddt = fig.subplots(1, 2)
    runs = [(reference, "0.6", "recorded full run")] if reference else []
    runs.append((history, "C0", "this run"))
    for run, colour, label in runs:
        steps, loss = np.asarray(run["step"]), np.asarray(run["loss"])
        if len(loss):
            ax_loss.plot(steps, loss, color=colour, lw=0.6, alpha=0.5)
            width = max(1, len(loss) // 25)
            smooth = np.convolve(loss, np.ones(width) / width, mode="valid")
            ax_loss.plot(steps[width - 1 :], smooth, color=colour, lw=2, label=label)
        ax_lddt.plot(run["eval_step"], run["lddt_ca"], "o-", color=colour, label=label)
    ax_loss.set(xlabel="training step", ylabel="total loss (SI Eq. 7)", yscale="log")
    ax_lddt.set(xlabel="training step", ylabel="lDDT-Cα", ylim=(0, 1))
    ax_lddt.axhline(0.7, color="0.8", lw=1, ls="--", zorder=0)
    for ax in (ax_loss, ax_lddt):
        ax.legend(fontsize="small")
    return fig


def plot_contact_maps(pred_ca, true_ca, title: str = "predicted"):
    """The Cα distance maps (< 8 Å contacts outlined) of a prediction and the truth.

    pred_ca, true_ca: [N_res, 3] (Å).
    """
    fig = _figure((10, 4.4))
    axes = fig.subplots(1, 2)
    for ax, ca, name in zip(axes, (pred_ca, true_ca), (title, "true")):
        ca = _numpy(ca)
        d = np.linalg.norm(ca[:, None] - ca[None], axis=-1)
        n = len(ca)
        extent = (0.5, n + 0.5, n + 0.5, 0.5)
        shown = ax.imshow(d, cmap="viridis_r", vmin=0, vmax=30, extent=extent)
        ax.contour(
            np.arange(1, n + 1), np.arange(1, n + 1), d, [CONTACT], colors="white"
        )
        ax.set(
            aspect="equal",
            xlabel="residue j",
            ylabel="residue i",
            title=f"{name}: Cα distances",
        )
    fig.colorbar(shown, ax=axes, label="Cα-Cα distance (Å); white: 8 Å", shrink=0.8)
    return fig


def plot_condensing(snapshots: list, steps: list, true_ca, columns: int = 5):
    """Cα traces at several steps, each superposed on the truth (grey).

    snapshots: [N_res, 3] Cα positions per step; steps: their step numbers.
    """
    true_ca = _numpy(true_ca)
    rows = -(-len(snapshots) // columns)
    fig = _figure((2.6 * columns, 2.6 * rows))
    colours = np.linspace(0, 1, len(true_ca))
    for k, (ca, step) in enumerate(zip(snapshots, steps)):
        ax = fig.add_subplot(rows, columns, k + 1, projection="3d")
        ca = kabsch(_numpy(ca), true_ca)
        ax.plot(*true_ca.T, color="0.75", lw=1)
        ax.plot(*ca.T, color="0.3", lw=0.6)
        ax.scatter(*ca.T, c=colours, cmap="rainbow", s=6, depthshade=False)
        lo, hi = true_ca.min(0) - 3, true_ca.max(0) + 3
        ax.set(xlim=(lo[0], hi[0]), ylim=(lo[1], hi[1]), zlim=(lo[2], hi[2]))
        ax.set_axis_off()
        ax.set_title(f"step {step}", fontsize="small")
    return fig
