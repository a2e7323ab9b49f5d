"""The contents manager of the course's JupyterLab (``python -m grader lab``).

JupyterLab writes the kernel's ``language_info`` into a notebook as soon as the kernel
starts, and marks the notebook modified when that changes it. The build writes
``language_info`` as ipykernel reports it but without the Python version, which
depends on the machine; this manager serves every notebook without one with the
version of the Python that runs the server (the course kernel's), so opening a lesson
changes nothing.
"""

from __future__ import annotations

import platform

from jupyter_server.services.contents.largefilemanager import AsyncLargeFileManager


class LessonContentsManager(AsyncLargeFileManager):
    """Jupyter's default contents manager; a notebook without a Python version in its
    ``language_info`` is served with this Python's."""

    async def get(self, path, content=True, type=None, format=None, **kwargs):
        model = await super().get(
            path, content=content, type=type, format=format, **kwargs
        )
        if model["type"] == "notebook" and model.get("content"):
            info = model["content"]["metadata"].get("language_info", {})
            if info.get("name") == "python" and "version" not in info:
                info["version"] = platform.python_version()
        return model
