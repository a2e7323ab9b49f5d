"""Plot helpers: each returns a Figure with the promised axes; import draws nothing."""

import subprocess
import sys

import numpy as np
import pytest
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

from reference import plots


def test_import_draws_nothing():
    code = (
        "import sys, reference.plots; "
        "print('matplotlib.pyplot' in sys.modules, 'py3Dmol' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["False", "False"]


@pytest.mark.parametrize(
    "value, colour",
    [
        (95, "#0053D6"),
        (90.5, "#0053D6"),
        (80, "#65CBF3"),
        (60, "#FFDB13"),
        (49.9, "#FF7D45"),
        (0, "#FF7D45"),
    ],
)
def test_plddt_bands(value, colour):
    assert plots.plddt_colour(value) == colour


def test_plot_plddt(tmp_path):
    plddt = np.array([95.0, 85.0, 55.0, 20.0, 91.0])
    fig = plots.plot_plddt(plddt)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert ax.get_ylim() == (0, 100) and ax.get_ylabel() == "pLDDT"
    dots = ax.collections[0].get_facecolors()
    assert [to_hex(c).upper() for c in dots] == [
        "#0053D6",
        "#65CBF3",
        "#FFDB13",
        "#FF7D45",
        "#0053D6",
    ]
    fig.savefig(tmp_path / "plddt.png")
    assert (tmp_path / "plddt.png").stat().st_size > 1000


def test_plot_pae_square_with_unit(tmp_path):
    pae = np.random.default_rng(0).uniform(0, 30, (7, 7))
    pae[0, 6] = 0.0  # aligned on residue 1, scoring residue 7: row 1, column 7
    fig = plots.plot_pae(pae, max_pae=31.75)
    ax, cbar = fig.axes
    assert (
        ax.get_xlabel() == "residue j (scored)"
        and ax.get_ylabel() == "residue i (aligned)"
    )
    assert ax.get_aspect() == 1.0
    assert "Å" in cbar.get_ylabel()
    image = ax.images[0]
    assert image.get_clim() == (0, 31.75)
    np.testing.assert_array_equal(image.get_array(), pae)  # no transposition
    fig.savefig(tmp_path / "pae.png")


def test_plot_msa_coverage_strings_and_ints():
    rows = ["ACDE", "AC-E", "--DE", "WWWW"]
    fig = plots.plot_msa_coverage(rows)
    depth = fig.axes[1].lines[0].get_ydata()
    np.testing.assert_array_equal(depth, [3, 3, 3, 4])
    ints = np.array([[0, 4, 3, 6], [0, 4, 21, 6], [21, 21, 3, 6], [17, 17, 17, 17]])
    fig2 = plots.plot_msa_coverage(ints)
    np.testing.assert_array_equal(fig2.axes[1].lines[0].get_ydata(), depth)
    image = fig.axes[0].images[0].get_array()
    np.testing.assert_allclose(
        image[0], [1, 1, 1, 1]
    )  # the query, identity 1, sorted first


def test_show_structure_colours_by_plddt():
    pytest.importorskip("py3Dmol")
    from reference import protein_io

    pos = np.zeros((2, 37, 3))
    mask = np.zeros((2, 37))
    mask[:, :3] = 1
    pdb = protein_io.to_pdb(pos, mask, np.array([0, 7]), np.array([95.0, 40.0]))
    assert plots._residue_b_factors(pdb) == [("A", 1, 95.0), ("A", 2, 40.0)]
    view = plots.show_structure(pdb)
    js = view.startjs
    assert "#0053D6" in js and "#FF7D45" in js
    with pytest.raises(ValueError, match="color_by"):
        plots.show_structure(pdb, color_by="nonsense")
