"""The 3D view renders offline: 3Dmol.js ships with the package and sits in the view's
HTML. Proved in a real headless browser with every host name unresolvable: the
cartoon's pLDDT colours are on the screenshot; py3Dmol's plain view, the control,
stays blank; without JavaScript the box says why it is empty."""

import hashlib
import math
import re
from html.parser import HTMLParser

import headless_browser
import numpy as np
import pytest
import torch

py3Dmol = pytest.importorskip("py3Dmol")

from reference import ideal_backbone, plots, protein_io, structure_view  # noqa: E402

# The four AlphaFold Database bands, six residues each, N- to C-terminus.
PLDDT = np.repeat([95.0, 80.0, 60.0, 30.0], 6)
SIZE = (400, 300)


@pytest.fixture(scope="module")
def helix_pdb():
    """An ideal α-helix of 24 alanines, its pLDDT in all four bands."""
    n = len(PLDDT)
    phi, psi = (
        torch.full((n,), math.radians(angle), dtype=torch.float64)
        for angle in ideal_backbone.ALPHA_HELIX
    )
    pos, mask = ideal_backbone.ideal_chain(torch.zeros(n, dtype=torch.long), phi, psi)
    return protein_io.to_pdb(pos, mask, torch.zeros(n, dtype=torch.long), PLDDT)


def test_shipped_library_is_the_stated_release():
    readme = (structure_view.THREEDMOL_JS.parent / "README.md").read_text()
    digest = hashlib.sha256(structure_view.THREEDMOL_JS.read_bytes()).hexdigest()
    assert digest in readme
    assert (
        "BSD-3-Clause"
        in (structure_view.THREEDMOL_JS.parent / "3Dmol-LICENSE").read_text()
    )


class _Text(HTMLParser):
    """The text a browser shows when scripts do not run."""

    def __init__(self):
        super().__init__()
        self.parts, self._in_script = [], False

    def handle_starttag(self, tag, attrs):
        self._in_script |= tag == "script"

    def handle_endtag(self, tag):
        self._in_script &= tag != "script"

    def handle_data(self, data):
        if not self._in_script:
            self.parts.append(data)


def test_view_html_carries_the_library_and_a_notice(helix_pdb):
    html = plots.show_structure(helix_pdb).write_html()
    assert structure_view.THREEDMOL_JS.read_text()[:2000] in html
    assert html.index("$3Dmolpromise = Promise.resolve()") < html.index(
        "loadScriptAsync("
    ), "the shipped library must be in place before py3Dmol's loader runs"
    parser = _Text()
    parser.feed(html)
    shown = " ".join("".join(parser.parts).split())
    assert shown == structure_view.NOTICE
    for colour in ("#0053D6", "#65CBF3", "#FFDB13", "#FF7D45"):
        assert colour in html


def _pixels_near(image: np.ndarray, colour: str, tolerance: float = 60.0) -> int:
    rgb = np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)])
    return int((np.linalg.norm(image - rgb, axis=-1) < tolerance).sum())


def test_view_renders_offline_in_a_browser(helix_pdb, tmp_path):
    ours = plots.show_structure(helix_pdb, width=SIZE[0], height=SIZE[1])
    control = py3Dmol.view(width=SIZE[0], height=SIZE[1])  # 3Dmol.js from its CDN
    control.addModel(helix_pdb, "pdb")
    control.setStyle({"cartoon": {"color": "spectrum"}})
    control.zoomTo()
    html = ours.write_html()
    shots = headless_browser.screenshots(
        {
            "ours": html,
            "control": control.write_html(),
            # What a static preview shows: the page without its scripts.
            "no_script": re.sub(r"<script>.*?</script>", "", html, flags=re.S),
        },
        tmp_path,
        (SIZE[0] + 100, SIZE[1] + 100),  # room for the view: no scrollbars
    )
    # Measured with Chromium 156, view 400 x 300: 328-434 pixels near each band's
    # colour (lit and shaded); the control 0 non-white pixels; without scripts 36,542
    # pixels of the notice's #FFCCCC. The bounds sit far from both sides.
    for _, colour, label in plots.PLDDT_BANDS:
        assert _pixels_near(shots["ours"], colour) > 50, f"no cartoon in {label}"
    assert (shots["control"] < 250).any(-1).sum() == 0, "the control drew something"
    notice = _pixels_near(shots["no_script"], "#FFCCCC", tolerance=10)
    assert notice > 5000, "no notice without JavaScript"
    assert _pixels_near(shots["ours"], "#FFCCCC", tolerance=10) == 0, (
        "the notice stayed after the view was drawn"
    )
