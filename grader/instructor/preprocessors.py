"""An nbgrader preprocessor of the course (named in the generated ``nbgrader_config.py``)."""

from nbgrader.preprocessors import NbGraderPreprocessor
from nbgrader.utils import is_grade


class StderrAsStdout(NbGraderPreprocessor):
    """In test cells that raised no error, stderr output becomes stdout.

    nbgrader scores a test cell 0 when it printed anything to stderr, so a warning from
    a correct answer (a deprecation, a torch user warning) would zero it. A failing
    check still raises, and the error output still gives 0.
    """

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code" and is_grade(cell):
            outputs = cell.get("outputs", [])
            if not any(o.output_type == "error" for o in outputs):
                for o in outputs:
                    if o.output_type == "stream" and o.name == "stderr":
                        o.name = "stdout"
        return cell, resources
