"""A py3Dmol view that carries its own 3Dmol.js: it renders offline and in HTML exports.

py3Dmol fetches 3Dmol.js from a CDN when a view is shown, so without internet the view
stays an empty box. ``StructureView`` writes the copy shipped in ``reference/vendor/``
(3Dmol.js, BSD-3-Clause; provenance in ``vendor/README.md``) into the view's own HTML,
ahead of py3Dmol's script, and hands py3Dmol a loader promise that is already resolved,
so py3Dmol never asks the CDN. Every view carries the library (about 0.5 MB) because
Colab shows each output in a frame of its own.

py3Dmol's "failed to load" notice is removed by py3Dmol's script before the library
has loaded; here a notice stays in the box until the viewer has its model, so where
JavaScript cannot run (an untrusted notebook, a static preview, scripts turned off)
the box says why it is empty. Use it as ``py3Dmol.view``; ``plots.show_structure``
builds one coloured by pLDDT.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import py3Dmol

THREEDMOL_JS = Path(__file__).with_name("vendor") / "3Dmol-min.js"

NOTICE = (
    "This 3D view needs JavaScript and WebGL, and they did not run here (an untrusted "
    "notebook, a static preview, or scripts turned off). Open the notebook in "
    "JupyterLab or Colab and run the cell again."
)
# py3Dmol's own notice, which its script removes at once.
_PY3DMOL_NOTICE = re.compile(r'<p id="3dmolwarning_UNIQUEID".*?</p>', re.S)
_NOTICE_HTML = (
    '<p id="structure_notice_UNIQUEID" style="margin: 0; padding: 0.5em; '
    f'background-color: #ffcccc; color: black">{NOTICE}</p>'
)
_REMOVE_NOTICE = (
    'document.getElementById("structure_notice_UNIQUEID")?.remove();\n'  # drawn: done
)


@functools.cache
def library_script() -> str:
    """A ``<script>`` that defines ``$3Dmol`` from the shipped file (once per page) and
    tells py3Dmol's loader that it is there.

    ``define``, ``exports`` and ``module`` are hidden from the library, so that under
    RequireJS (the classic notebook) it still sets the global ``$3Dmol``.
    """
    js = THREEDMOL_JS.read_text(encoding="utf-8").replace("</script", "<\\/script")
    return (
        "<script>\n(function (define, exports, module) {\n"
        "if (window.$3Dmol) return;\n"
        f"{js}\n"
        "}).call(window);\n"
        "window.$3Dmolpromise = Promise.resolve();\n"
        "</script>\n"
    )


class StructureView(py3Dmol.view):
    """``py3Dmol.view`` with 3Dmol.js inside its HTML (no CDN) and a text notice for
    when JavaScript cannot run. Same arguments and methods as ``py3Dmol.view``."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.startjs, found = _PY3DMOL_NOTICE.subn(_NOTICE_HTML, self.startjs)
        if found != 1:
            raise RuntimeError(
                f"py3Dmol {py3Dmol.__version__} writes HTML that this view does not "
                "know; install py3Dmol 2: pip install 'py3Dmol>=2,<3'"
            )
        # The notice goes just before the first render, after every command ran.
        self.endjs = _REMOVE_NOTICE + self.endjs

    def _make_html(self) -> str:
        """py3Dmol's HTML (``show``, ``write_html``, notebook display) behind the
        library's script."""
        return library_script() + super()._make_html()
