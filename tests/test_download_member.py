"""One model's weights without the rest of DeepMind's tar, against a local HTTP server
(127.0.0.1) that honours ``Range: bytes=a-b``, can ignore Range, cut a response short
or corrupt a byte: only the headers and the member cross the wire, an interrupted
member resumes, a damaged one is refused, and the CLI writes just the model named."""

import hashlib
import io
import tarfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from reference import download
from reference.download import DownloadError, Remote

MEMBERS = ("params_model_1.npz", "params_model_1_ptm.npz", "params_model_2_ptm.npz")


def _npz(seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    buf = io.BytesIO()
    np.savez(buf, **{f"alphafold/x{i}//w": rng.random((40, 50)) for i in range(3)})
    return buf.getvalue()


def _tar(fmt=tarfile.GNU_FORMAT, long_name: str | None = None) -> bytes:
    """DeepMind's layout in miniature: three npz members and a LICENSE."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tar:
        names = [*MEMBERS, "LICENSE"] + ([long_name] if long_name else [])
        for i, name in enumerate(names):
            data = b"cc-by" if name == "LICENSE" else _npz(i)
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _member_bytes(tar_bytes: bytes, name: str) -> bytes:
    with tarfile.open(fileobj=io.BytesIO(tar_bytes)) as tar:
        return tar.extractfile(name).read()


class Server:
    """Serves ``data`` at ``/params.tar``. ``ranges`` records each request's Range;
    ``sent`` counts body bytes. ``cut_after`` (once) ends the next response early,
    ``ignore_range`` answers every request with the whole file, ``corrupt_at``
    flips the byte at that offset of the file."""

    def __init__(self, data: bytes):
        self.data, self.ranges, self.sent = data, [], 0
        self.cut_after, self.ignore_range, self.corrupt_at = None, False, None
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                if self.path != "/params.tar":
                    self.send_error(404)
                    return
                data = bytearray(outer.data)
                if outer.corrupt_at is not None:
                    data[outer.corrupt_at] ^= 0xFF
                spec = self.headers.get("Range")
                outer.ranges.append(spec)
                first, last = 0, len(data) - 1
                if spec and not outer.ignore_range:
                    a, b = spec.removeprefix("bytes=").split("-")
                    first, last = int(a), int(b) if b else len(data) - 1
                    if first >= len(data):
                        self.send_error(416)
                        return
                body = bytes(data[first : last + 1])
                self.send_response(206 if spec and not outer.ignore_range else 200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if outer.cut_after is not None:
                    body, outer.cut_after = body[: outer.cut_after], None
                    self.close_connection = True
                self.wfile.write(body)
                outer.sent += len(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/params.tar"
        threading.Thread(
            target=self.httpd.serve_forever, args=(0.05,), daemon=True
        ).start()


@pytest.fixture
def serve():
    servers = []

    def start(data: bytes) -> Server:
        servers.append(Server(data))
        return servers[-1]

    yield start
    for s in servers:
        s.httpd.shutdown()
        s.httpd.server_close()


def test_only_headers_and_the_member_are_transferred(serve, tmp_path):
    data = _tar()
    server = serve(data)
    want = _member_bytes(data, "params_model_1_ptm.npz")
    path = download.fetch_member(
        Remote(server.url, "test"), "params_model_1_ptm.npz", tmp_path, progress=False
    )
    assert path.read_bytes() == want
    assert sorted(p.name for p in tmp_path.iterdir()) == ["params_model_1_ptm.npz"]
    # two 512-byte headers (model_1's, then the member's), then the member itself
    assert server.sent == 2 * 512 + len(want) < len(data) / 2
    assert all(r and r.startswith("bytes=") for r in server.ranges)


def test_interrupted_member_resumes(serve, tmp_path, monkeypatch):
    data = _tar()
    server = serve(data)
    remote, name = Remote(server.url, "test"), "params_model_2_ptm.npz"
    first, size = download.locate_member(server.url, name)
    opened = download._open

    def cut_the_member(url, a=0, b=None):  # the headers pass, the member is cut
        server.cut_after = 10_000 if a == first else None
        return opened(url, a, b)

    monkeypatch.setattr(download, "_open", cut_the_member)
    with pytest.raises(DownloadError, match="run the same command again"):
        download.fetch_member(remote, name, tmp_path, progress=False)
    assert (tmp_path / f"{name}.part").stat().st_size == 10_000
    monkeypatch.setattr(download, "_open", opened)
    server.ranges.clear()
    path = download.fetch_member(remote, name, tmp_path, progress=False)
    assert path.read_bytes() == _member_bytes(data, name)
    assert server.ranges[-1] == f"bytes={first + 10_000}-{first + size - 1}"


def test_damaged_member_is_refused_and_kept(serve, tmp_path):
    data = _tar()
    server = serve(data)
    first, size = download.locate_member(server.url, "params_model_1.npz")
    server.corrupt_at = first + size // 2  # inside an array's bytes
    with pytest.raises(DownloadError, match="CRC-32"):
        download.fetch_member(
            Remote(server.url, "test"), "params_model_1.npz", tmp_path, progress=False
        )
    assert (tmp_path / "params_model_1.npz.part").exists()
    assert not (tmp_path / "params_model_1.npz").exists()


def test_sha256_is_compared_when_known(serve, tmp_path, capsys):
    data = _tar()
    server = serve(data)
    name = "params_model_1_ptm.npz"
    digest = hashlib.sha256(_member_bytes(data, name)).hexdigest()
    with pytest.raises(DownloadError, match="does not match the expected 0000"):
        download.fetch_member(
            Remote(server.url, "t"), name, tmp_path / "a", "0" * 64, progress=False
        )
    download.fetch_member(
        Remote(server.url, "t"), name, tmp_path / "b", digest, progress=False
    )
    download.fetch_member(Remote(server.url, "t"), name, tmp_path / "c", None, False)
    assert digest in capsys.readouterr().out  # unknown checksum: printed


def test_server_without_range_is_streamed(serve, tmp_path):
    data = _tar()
    server = serve(data)
    server.ignore_range = True
    path = download.fetch_member(
        Remote(server.url, "test"), "params_model_2_ptm.npz", tmp_path, progress=False
    )
    assert path.read_bytes() == _member_bytes(data, "params_model_2_ptm.npz")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["params_model_2_ptm.npz"]


@pytest.mark.parametrize("fmt", [tarfile.GNU_FORMAT, tarfile.PAX_FORMAT])
def test_long_member_names(serve, tmp_path, fmt):
    name = "a" * 120 + ".txt"  # longer than a ustar name field (100 bytes)
    data = _tar(fmt, long_name=name)
    server = serve(data)
    assert download.locate_member(server.url, name)[1] == len(_npz(4))
    path = download.fetch_member(Remote(server.url, "t"), name, tmp_path, None, False)
    assert path.read_bytes() == _member_bytes(data, name)


def test_missing_member_and_damaged_header(serve, tmp_path):
    data = _tar()
    server = serve(data)
    with pytest.raises(DownloadError, match="holds no member 'params_model_5.npz'"):
        download.fetch_member(
            Remote(server.url, "t"), "params_model_5.npz", tmp_path, progress=False
        )
    server.corrupt_at = 100  # inside the first header
    with pytest.raises(DownloadError, match="damaged tar header at byte 0"):
        download.locate_member(server.url, "params_model_1.npz")


def test_cli_fetches_only_the_models_named(serve, tmp_path, capsys):
    data = _tar()
    server = serve(data)
    args = ["params", "--dest", str(tmp_path), "--url", server.url, "--quiet"]
    assert download.main([*args, "--models", "model_1_ptm"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["params_model_1_ptm.npz"]
    assert server.sent < len(data) / 2
    assert download.main([*args, "--models", "model_9"]) == 2
    assert "unknown model 'model_9'" in capsys.readouterr().err
    assert download.main([*args, "--sha256", "0" * 64]) == 2
    assert "--sha256 needs exactly one model" in capsys.readouterr().err
