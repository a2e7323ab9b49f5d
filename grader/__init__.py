"""The course machinery: the check API students call (``grader.check``, torch and numpy
only), the build that derives the student material, and the command line
(``python -m grader``). Nothing a student imports needs nbgrader."""


class CheckFailed(AssertionError):
    """An exercise check failed. The message is the whole diagnosis; in a notebook it
    is shown without a traceback (the checker's internals are no help to a student)."""

    def _render_traceback_(self) -> list[str]:
        # IPython shows this instead of a traceback.
        return [f"\x1b[0;31m{line}\x1b[0m" for line in str(self).splitlines()]
