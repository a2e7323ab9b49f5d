"""A headless Chromium for the tests that need a real browser (the 3D view, JupyterLab).

``browser()`` finds one (``AF2_BROWSER``, else chromium / Chrome on PATH) or skips the
test with the reason. ``screenshots`` renders pages to PNG with the command line;
``DevTools`` drives a page over the DevTools protocol (via tornado's websocket client,
which comes with Jupyter) to read a web app's state.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import threading
import time
import urllib.request

import pytest

NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--enable-unsafe-swiftshader",  # software WebGL
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
OFFLINE = "--host-resolver-rules=MAP * ~NOTFOUND"  # no host name resolves


def browser() -> str:
    """The browser's path, or skip the calling test."""
    for name in [os.environ.get("AF2_BROWSER", "")] + list(NAMES):
        if name and shutil.which(name):
            return shutil.which(name)
    pytest.skip(
        "no Chromium or Chrome installed (apt-get install chromium, or set AF2_BROWSER)"
    )


def screenshots(pages: dict[str, str], folder, size: tuple[int, int]) -> dict:
    """Render each HTML page offline, each in its own browser, all at once.

    Returns name -> RGB array [height, width, 3] in 0-255.
    """
    from matplotlib.image import imread

    path, procs = browser(), {}
    for name, html in pages.items():
        page = folder / f"{name}.html"
        page.write_text(html)
        procs[name] = subprocess.Popen(
            [
                path,
                *FLAGS,
                OFFLINE,
                f"--user-data-dir={folder / ('profile-' + name)}",
                f"--window-size={size[0]},{size[1]}",
                "--virtual-time-budget=10000",
                f"--screenshot={folder / (name + '.png')}",
                page.as_uri(),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
    shots = {}
    for name, proc in procs.items():
        _, err = proc.communicate(timeout=120)
        png = folder / f"{name}.png"
        assert png.exists(), f"{name}: no screenshot; the browser said {err[-2000:]}"
        shots[name] = imread(png)[..., :3] * 255
    return shots


class DevTools:
    """A headless browser driven over the DevTools protocol."""

    def __init__(self, profile):
        self.proc = subprocess.Popen(
            [
                browser(),
                *FLAGS,
                f"--user-data-dir={profile}",
                "--remote-debugging-port=0",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for line in self.proc.stderr:
            if m := re.search(r"DevTools listening on ws://([^/]+)/", line):
                self.address = m.group(1)
                break
        else:
            raise RuntimeError("the browser did not start its DevTools server")
        # Keep reading what it logs, or a full pipe would stop it.
        threading.Thread(target=self.proc.stderr.read, daemon=True).start()

    def open(self, url: str) -> str:
        """Open ``url`` in a new tab; returns the tab's websocket address."""
        request = urllib.request.Request(
            f"http://{self.address}/json/new?{url}", method="PUT"
        )
        return json.loads(urllib.request.urlopen(request).read())[
            "webSocketDebuggerUrl"
        ]

    def wait_for(self, tab: str, expression: str, done, timeout: float = 120.0):
        """Evaluate the (async) JavaScript ``expression`` in ``tab`` every half second
        until ``done(value)``; returns the last value."""
        return asyncio.run(self._wait_for(tab, expression, done, timeout))

    async def _wait_for(self, tab, expression, done, timeout):
        from tornado.websocket import websocket_connect

        socket = await websocket_connect(tab, max_message_size=1 << 26)
        deadline, n, value = time.monotonic() + timeout, 0, None
        try:
            while time.monotonic() < deadline:
                n += 1
                params = dict(
                    expression=expression, awaitPromise=True, returnByValue=True
                )
                await socket.write_message(
                    json.dumps(
                        {"id": n, "method": "Runtime.evaluate", "params": params}
                    )
                )
                while (reply := json.loads(await socket.read_message())).get("id") != n:
                    pass
                value = reply["result"]["result"].get("value")
                if done(value):
                    break
                await asyncio.sleep(0.5)
        finally:
            socket.close()
        return value

    def close(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)
