"""Downloads against a local HTTP server (127.0.0.1) that honours Range and can cut a
connection: full download, resume, checksum mismatch, tar extraction, the MSA server."""

import hashlib
import io
import json
import tarfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from reference import download
from reference.download import DownloadError, Remote

BLOB = np.random.default_rng(0).bytes(300_000)


class Server:
    """Serves ``files[path] = bytes`` with Range support; ``cut_after`` bytes, if set,
    ends the next response early (once). Records each request's Range header."""

    def __init__(self):
        self.files, self.ranges, self.cut_after = {}, [], None
        self.msa_polls = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                outer.ranges.append(self.headers.get("Range"))
                if self.path.startswith("/ticket/"):
                    outer.msa_polls += 1
                    return self._json(
                        {
                            "id": "t1",
                            "status": "COMPLETE" if outer.msa_polls > 1 else "RUNNING",
                        }
                    )
                data = outer.files.get(self.path)
                if data is None:
                    self.send_error(404)
                    return
                start = 0
                if self.headers.get("Range"):
                    start = int(
                        self.headers["Range"].removeprefix("bytes=").rstrip("-")
                    )
                    if start >= len(data):
                        self.send_error(416)
                        return
                self.send_response(206 if start else 200)
                self.send_header("Content-Length", str(len(data) - start))
                self.end_headers()
                body = data[start:]
                if outer.cut_after is not None:
                    body, outer.cut_after = body[: outer.cut_after], None
                    self.wfile.write(body)
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(body)

            def do_POST(self):
                self.rfile.read(int(self.headers["Content-Length"]))
                self._json({"id": "t1", "status": "PENDING"})

            def _json(self, obj):
                raw = json.dumps(obj).encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(
            target=self.httpd.serve_forever, args=(0.05,), daemon=True
        ).start()


@pytest.fixture
def server():
    s = Server()
    yield s
    s.httpd.shutdown()
    s.httpd.server_close()


def _remote(server, name="blob.bin", data=BLOB, sha=True):
    server.files[f"/{name}"] = data
    return Remote(
        f"{server.url}/{name}",
        "test",
        hashlib.sha256(data).hexdigest() if sha else None,
    )


def test_full_download(server, tmp_path):
    path = download.fetch(_remote(server), tmp_path, progress=False)
    assert path.read_bytes() == BLOB and not (tmp_path / "blob.bin.part").exists()
    assert server.ranges == [None]


def test_resume_after_cut(server, tmp_path):
    remote = _remote(server)
    server.cut_after = 100_000
    with pytest.raises(DownloadError, match="run the same command again to resume"):
        download.fetch(remote, tmp_path, progress=False)
    assert (tmp_path / "blob.bin.part").stat().st_size == 100_000
    path = download.fetch(remote, tmp_path, progress=False)
    assert path.read_bytes() == BLOB
    assert server.ranges == [None, "bytes=100000-"]


def test_checksum_mismatch_keeps_partial_file(server, tmp_path):
    remote = Remote(_remote(server).url, "test", sha256="0" * 64)
    with pytest.raises(DownloadError, match="does not match the expected 0000"):
        download.fetch(remote, tmp_path, progress=False)
    assert (tmp_path / "blob.bin.part").read_bytes() == BLOB
    assert not (tmp_path / "blob.bin").exists()


def test_unknown_checksum_prints_digest(server, tmp_path, capsys):
    download.fetch(_remote(server, sha=False), tmp_path, progress=False)
    assert hashlib.sha256(BLOB).hexdigest() in capsys.readouterr().out


def test_missing_file_and_no_server(server, tmp_path):
    with pytest.raises(DownloadError, match="HTTP 404"):
        download.fetch(
            Remote(f"{server.url}/nothing.bin", "test"), tmp_path, progress=False
        )
    with pytest.raises(DownloadError, match="no network"):
        download.fetch(
            Remote("http://127.0.0.1:9/x.bin", "test"), tmp_path, progress=False
        )


def _params_tar() -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in [
            ("params_model_1_ptm.npz", b"one"),
            ("params_model_2.npz", b"two"),
            ("LICENSE", b"cc-by"),
            ("../params_model_3.npz", b"evil"),
        ]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def test_cli_params_extracts_npz_only(server, tmp_path):
    server.files["/alphafold_params.tar"] = _params_tar()
    rc = download.main(
        [
            "params",
            "--dest",
            str(tmp_path),
            "--url",
            f"{server.url}/alphafold_params.tar",
            "--quiet",
        ]
    )
    assert rc == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "params_model_1_ptm.npz",
        "params_model_2.npz",
    ]
    assert (tmp_path / "params_model_1_ptm.npz").read_bytes() == b"one"


def test_cli_error_is_one_line(server, tmp_path, capsys):
    rc = download.main(["openfold", "--dest", str(tmp_path), "--files", "nope.pt"])
    assert rc == 2
    err = capsys.readouterr().err
    assert err.startswith("error: unknown OpenFold file") and err.count("\n") == 1


def test_msa_from_server(server, tmp_path, monkeypatch):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, text in [
            ("uniref.a3m", ">101\nMKV\n>hit1\nMR-\n\x00"),
            ("bfd.mgnify30.metaeuk30.smag30.a3m", ">101\nMKV\n>hit2\nmMKa\n"),
        ]:
            info = tarfile.TarInfo(name)
            info.size = len(text)
            tar.addfile(info, io.BytesIO(text.encode()))
    server.files["/result/download/t1"] = buf.getvalue()
    path = download.fetch_msa("MKV", tmp_path, name="q", server=server.url, poll_s=0)
    assert path.read_text() == ">101\nMKV\n>hit1\nMR-\n>hit2\nmMKa\n"
    with pytest.raises(DownloadError, match="one-letter"):
        download.fetch_msa("MK1", tmp_path, server=server.url)
