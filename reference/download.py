"""Download pretrained weights and real MSAs: resumable, size- and checksum-verified.

    python -m reference.download params --models model_1_ptm --dest weights/
    python -m reference.download params --dest weights/    # all of DeepMind's npz
    python -m reference.download openfold --dest weights/  # OpenFold's .pt files
    python -m reference.download msa --sequence MKV... --dest msas/  # ColabFold MSA

DeepMind publishes its weights as one 5.3 GB tar of all models. ``--models`` fetches
only the members it names: the tar's 512-byte headers are read with HTTP Range
requests until the member is found, then only the member's bytes are downloaded
(one model, a few hundred MB). A server that ignores Range requests is streamed
instead, keeping only the member.

A file arrives as ``<name>.part`` and is renamed only once it is verified; an
interrupted download resumes from the ``.part`` (HTTP Range) when the command runs
again. Checks: the size (the server's, or the size in the member's tar header, which
the header's own checksum protects); for an npz, the CRC-32 that the zip format
stores for every array; the SHA-256 when one is known (``--sha256``), else it is
printed so that it can be recorded.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import re
import sys
import tarfile
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from dataclasses import dataclass
from http.client import IncompleteRead
from pathlib import Path

USER_AGENT = "af2-course/0.1 (python urllib)"
CHUNK = 1 << 20
BLOCK = tarfile.BLOCKSIZE  # 512: tar headers and data come in blocks


@dataclass(frozen=True)
class Remote:
    """A file to fetch. ``sha256``/``size`` are None where none is published."""

    url: str
    source: str
    sha256: str | None = None
    size: int | None = None

    @property
    def name(self) -> str:
        return Path(urllib.parse.urlparse(self.url).path).name


# DeepMind's weights (CC BY 4.0): all five monomer models, with and without pTM,
# and the multimer models, as params_model_*.npz in one tar (about 5.3 GB).
DEEPMIND_PARAMS = Remote(
    url="https://storage.googleapis.com/alphafold/alphafold_params_2022-12-06.tar",
    source="github.com/google-deepmind/alphafold README, 'Model parameters' "
    "(no checksum published)",
)

# OpenFold's weights (CC BY 4.0), about 375 MB each; the same files are in the
# public bucket s3://openfold/openfold_params/ (aqlaboratory/openfold,
# scripts/download_openfold_params.sh). No checksums are published.
_OPENFOLD_HF = "https://huggingface.co/nz/OpenFold/resolve/main/"
OPENFOLD_FILES = (
    "finetuning_ptm_1.pt",
    "finetuning_ptm_2.pt",
    "finetuning_no_templ_ptm_1.pt",
    "finetuning_1.pt",
    "finetuning_2.pt",
    "finetuning_3.pt",
    "finetuning_4.pt",
    "finetuning_5.pt",
    "finetuning_no_templ_1.pt",
    "finetuning_no_templ_2.pt",
)
OPENFOLD_PARAMS = {
    f: Remote(
        _OPENFOLD_HF + f, "huggingface.co/nz/OpenFold (linked from OpenFold's docs)"
    )
    for f in OPENFOLD_FILES
}

# ColabFold's public MMseqs2 server (Mirdita et al., Nature Methods 2022); its
# terms ask for moderate use and a User-Agent naming the tool.
COLABFOLD_SERVER = "https://api.colabfold.com"

NPZ_MEMBER = re.compile(r"params_model_[1-5](_ptm|_multimer_v\d)?\.npz")


class DownloadError(RuntimeError):
    """A download or check that failed; the message says what to do."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def _open(url: str, first: int = 0, last: int | None = None):
    """A response for bytes ``first..last`` (inclusive; to the end when ``last`` is
    None) of ``url``; a plain request when that is the whole file."""
    headers = {"User-Agent": USER_AGENT}
    if first or last is not None:
        headers["Range"] = f"bytes={first}-{'' if last is None else last}"
    return urllib.request.urlopen(
        urllib.request.Request(url, headers=headers), timeout=60
    )


def _download(url: str, part: Path, first=0, size=None, progress=True) -> int | None:
    """Append bytes ``first + len(part) .. first + size`` of ``url`` to ``part`` (to the
    end of the file when ``size`` is None). Returns the expected size of ``part``.
    A server that ignores the Range of a whole-file resume is read from the start."""
    from tqdm.auto import tqdm

    have = part.stat().st_size if part.exists() else 0
    if size is not None and have >= size:
        return size
    last = None if size is None else first + size - 1
    try:
        with _open(url, first + have, last) as r:
            if r.status != 206 and (first + have or last is not None):
                if first or last is not None:
                    raise DownloadError(f"{url}: the server ignores Range requests")
                have = 0
            length = r.headers.get("Content-Length")
            total = have + int(length) if length is not None else size
            with (
                open(part, "ab" if have else "wb") as f,
                tqdm(
                    total=total,
                    initial=have,
                    unit="B",
                    unit_scale=True,
                    unit_divisor=1024,
                    desc=part.name.removesuffix(".part"),
                    disable=not progress,
                ) as bar,
            ):
                for block in iter(lambda: r.read(CHUNK), b""):
                    f.write(block)
                    bar.update(len(block))
    except urllib.error.HTTPError as e:
        if e.code != 416:  # 416: nothing left after the .part: it is whole
            raise DownloadError(f"{url}: HTTP {e.code} {e.reason}") from None
        total = have
    except (IncompleteRead, ConnectionError, TimeoutError) as e:
        raise DownloadError(
            f"{url}: connection lost after {part.stat().st_size} bytes "
            f"({type(e).__name__}); run the same command again to resume"
        ) from None
    except urllib.error.URLError as e:
        raise DownloadError(f"{url}: {e.reason} (no network?)") from None
    return total


def fetch(remote: Remote, dest_dir, progress: bool = True) -> Path:
    """Download ``remote`` into ``dest_dir`` (resuming a ``.part``) and verify it."""
    dest = Path(dest_dir) / remote.name
    if dest.exists():
        return dest
    part = dest.with_name(dest.name + ".part")
    dest.parent.mkdir(parents=True, exist_ok=True)
    total = _download(remote.url, part, progress=progress)
    _verify(remote, part, total)
    part.rename(dest)
    return dest


def _verify(remote: Remote, part: Path, total: int | None) -> None:
    size = part.stat().st_size
    expected_size = remote.size or total
    if expected_size is not None and size != expected_size:
        raise DownloadError(
            f"{part} has {size} of {expected_size} bytes (connection cut?); "
            "run the same command again to resume, or delete it to start over"
        )
    digest = _sha256(part)
    if remote.sha256 is None:
        print(
            f"{remote.name}: sha256 {digest} ({size} bytes; no published checksum "
            "to compare with)"
        )
    elif digest != remote.sha256:
        raise DownloadError(
            f"{part}: sha256 {digest} does not match the expected {remote.sha256}; "
            "the file is kept for inspection: delete it to download again"
        )


def extract_npz(tar_path, dest_dir, models: list[str] | None = None) -> list[Path]:
    """Take the ``params_model_*.npz`` members (only those; optionally only ``models``,
    e.g. ``["model_1_ptm"]``) out of DeepMind's tar into ``dest_dir``."""
    out = []
    with tarfile.open(tar_path) as tar:
        for member in tar:
            if not (member.isfile() and NPZ_MEMBER.fullmatch(member.name)):
                continue  # also skips any name with a directory part
            if models and member.name[len("params_") : -len(".npz")] not in models:
                continue
            target = Path(dest_dir) / member.name
            if not (target.exists() and target.stat().st_size == member.size):
                with tar.extractfile(member) as src, open(target, "wb") as dst:
                    while block := src.read(CHUNK):
                        dst.write(block)
            out.append(target)
    if not out:
        which = f" for {', '.join(models)}" if models else ""
        raise DownloadError(f"{tar_path} holds no params_model_*.npz{which}")
    return out


def locate_member(url: str, member: str) -> tuple[int, int]:
    """Where ``member`` lies in the remote tar at ``url``: (offset of its data, size),
    found by reading the tar's 512-byte headers one Range request at a time.

    Each header's checksum is verified (``tarfile.TarInfo.frombuf``), so the size
    it gives is the size the archive was made with. Raises ``DownloadError`` when
    the archive ends without the member, ``_NoRange`` when the server ignores Range.
    """
    offset, long_name = 0, None
    while True:
        header = _read_range(url, offset, BLOCK)
        if len(header) < BLOCK or not header.strip(b"\0"):
            raise DownloadError(f"{url} holds no member {member!r}")
        try:
            info = tarfile.TarInfo.frombuf(header, "utf-8", "surrogateescape")
        except tarfile.HeaderError as e:
            raise DownloadError(
                f"{url}: damaged tar header at byte {offset} ({e})"
            ) from None
        data = offset + BLOCK
        name, long_name = long_name or info.name, None
        if info.type == tarfile.GNUTYPE_LONGNAME:
            long_name = _read_range(url, data, info.size).rstrip(b"\0").decode()
        elif info.type == tarfile.XHDTYPE:  # POSIX extended header: the next name
            record = _read_range(url, data, info.size).decode("utf-8", "replace")
            long_name = dict(re.findall(r"\d+ (\w+)=([^\n]*)\n", record)).get("path")
        elif info.isfile() and name == member:
            return data, info.size
        offset = data + -(-info.size // BLOCK) * BLOCK  # data padded to whole blocks


class _NoRange(Exception):
    """The server answered a Range request with the whole file."""


def _read_range(url: str, first: int, length: int) -> bytes:
    try:
        with _open(url, first, first + length - 1) as r:
            if r.status != 206:
                raise _NoRange
            return r.read()
    except urllib.error.HTTPError as e:
        raise DownloadError(f"{url}: HTTP {e.code} {e.reason}") from None
    except urllib.error.URLError as e:
        raise DownloadError(f"{url}: {e.reason} (no network?)") from None


def fetch_member(
    remote: Remote,
    member: str,
    dest_dir,
    sha256: str | None = None,
    progress: bool = True,
) -> Path:
    """Download one member of the remote tar ``remote`` into ``dest_dir``, without the
    rest of the archive (see the module docstring), resumably, and verify it."""
    dest = Path(dest_dir) / member
    if dest.exists():
        return dest
    part = dest.with_name(member + ".part")
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        first, size = locate_member(remote.url, member)
        _download(remote.url, part, first, size, progress)
    except _NoRange:
        size = _stream_member(remote.url, member, part, progress)
    _verify_member(part, size, sha256)
    part.rename(dest)
    return dest


def _stream_member(url: str, member: str, part: Path, progress: bool) -> int:
    """Read the whole tar as a stream, keep only ``member``; returns its size."""
    from tqdm.auto import tqdm

    try:
        with _open(url) as r, tarfile.open(fileobj=r, mode="r|") as tar:
            for info in tar:
                if info.isfile() and info.name == member:
                    with (
                        tar.extractfile(info) as src,
                        open(part, "wb") as dst,
                        tqdm(
                            total=info.size,
                            unit="B",
                            unit_scale=True,
                            unit_divisor=1024,
                            desc=member,
                            disable=not progress,
                        ) as bar,
                    ):
                        while block := src.read(CHUNK):
                            dst.write(block)
                            bar.update(len(block))
                    return info.size
    except (IncompleteRead, ConnectionError, TimeoutError, tarfile.ReadError) as e:
        raise DownloadError(
            f"{url}: connection lost while streaming ({type(e).__name__}); this "
            "server ignores Range requests, so the next run starts over"
        ) from None
    raise DownloadError(f"{url} holds no member {member!r}")


def _verify_member(part: Path, size: int, sha256: str | None) -> None:
    """Size (from the tar header), zip CRCs for an npz, and the SHA-256 if known."""
    have = part.stat().st_size
    if have != size:
        raise DownloadError(
            f"{part} has {have} of {size} bytes (connection cut?); run the same "
            "command again to resume, or delete it to start over"
        )
    name = part.name.removesuffix(".part")
    if name.endswith(".npz"):
        try:
            with zipfile.ZipFile(part) as z:
                bad = z.testzip()
        except zipfile.BadZipFile as e:
            bad = f"not a readable zip ({e})"
        if bad is not None:
            raise DownloadError(
                f"{part}: array {bad} fails its CRC-32 check; delete the file and "
                "download it again"
            )
    _verify(Remote(name, "tar member", sha256, size), part, size)


def fetch_msa(
    sequence: str,
    dest_dir,
    name: str = "query",
    server: str = COLABFOLD_SERVER,
    mode: str = "env",
    poll_s: float = 5.0,
    timeout_s: float = 1800,
) -> Path:
    """Ask ColabFold's MMseqs2 server for an MSA of ``sequence``; write ``<name>.a3m``.

    mode: ``"env"`` (UniRef + environmental databases, as ColabFold) or ``"all"``
    (UniRef only).
    """
    sequence = re.sub(r"\s", "", sequence).upper()
    if not re.fullmatch(r"[ACDEFGHIKLMNPQRSTVWYX]+", sequence):
        raise DownloadError(
            "the sequence must be one-letter amino-acid codes (ACDEFGHIKLMNPQRSTVWYX)"
        )

    def call(path, data=None):
        body = urllib.parse.urlencode(data).encode() if data else None
        req = urllib.request.Request(
            f"{server}/{path}", data=body, headers={"User-Agent": USER_AGENT}
        )
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return r.read()
        except urllib.error.URLError as e:
            raise DownloadError(f"{server}/{path}: {getattr(e, 'reason', e)}") from None

    def submit():
        return json.loads(
            call("ticket/msa", {"q": f">101\n{sequence}\n", "mode": mode})
        )

    ticket = submit()
    deadline = time.monotonic() + timeout_s
    while ticket.get("status") in ("UNKNOWN", "RUNNING", "PENDING", "RATELIMIT"):
        if time.monotonic() > deadline:
            raise DownloadError(
                f"the MSA server did not finish within {timeout_s:.0f} s"
            )
        time.sleep(poll_s)
        # A rate-limited submission has no ticket yet: submit again.
        ticket = (
            json.loads(call(f"ticket/{ticket['id']}")) if "id" in ticket else submit()
        )
    if ticket.get("status") != "COMPLETE":
        raise DownloadError(
            f"the MSA server answered {ticket.get('status')!r}: try again later"
        )
    with tarfile.open(
        fileobj=io.BytesIO(call(f"result/download/{ticket['id']}"))
    ) as tar:
        parts = [
            tar.extractfile(m).read().decode()
            for m in tar
            if m.isfile() and m.name.endswith(".a3m")
        ]
    if not parts:
        raise DownloadError("the MSA server's answer holds no .a3m file")
    dest = Path(dest_dir) / f"{name}.a3m"
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(_merge_a3m(parts))
    return dest


def _merge_a3m(parts: list[str]) -> str:
    """One a3m from the server's files: the query once, then every hit; NUL
    separators dropped."""
    text = "\n".join(p.replace("\x00", "").strip() for p in parts)
    records = re.split(r"^>", text, flags=re.M)[1:]
    seen_query, out = False, []
    for rec in records:
        header, _, body = rec.partition("\n")
        if header.strip() == "101":
            if seen_query:
                continue
            seen_query = True
        out.append(f">{header.strip()}\n{''.join(body.split())}\n")
    return "".join(out)


def params(args) -> None:
    """The ``params`` command: DeepMind's npz files into ``args.dest``."""
    remote = DEEPMIND_PARAMS if args.url is None else Remote(args.url, "--url")
    models = args.models.split(",") if args.models else None
    for model in models or ():
        if not NPZ_MEMBER.fullmatch(f"params_{model}.npz"):
            raise DownloadError(
                f"unknown model {model!r}: model_1 ... model_5, with _ptm or "
                "_multimer_v3 (e.g. model_1_ptm)"
            )
    if args.sha256 and (not models or len(models) != 1):
        raise DownloadError("--sha256 needs exactly one model in --models")
    if models and not args.whole_tar:
        for model in models:
            path = fetch_member(
                remote, f"params_{model}.npz", args.dest, args.sha256, not args.quiet
            )
            print(path)
        return
    wanted = [Path(args.dest) / f"params_{m}.npz" for m in models or ()]
    if wanted and all(w.exists() for w in wanted):
        print("\n".join(map(str, wanted)))
        return
    tar = fetch(remote, args.dest, progress=not args.quiet)
    for path in extract_npz(tar, args.dest, models):
        print(path)
    if not args.keep_tar:
        tar.unlink()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m reference.download", description=__doc__.split("\n")[0]
    )
    sub = parser.add_subparsers(dest="what", required=True)
    p = sub.add_parser(
        "params",
        help="DeepMind's params_model_*.npz: only the --models named (Range requests "
        "into the tar), or the whole 5.3 GB tar",
    )
    p.add_argument("--dest", required=True)
    p.add_argument(
        "--models",
        help="comma-separated, e.g. model_1_ptm,model_2_ptm (default: every model, "
        "from the whole tar)",
    )
    p.add_argument(
        "--sha256", help="the expected SHA-256 of the one model named by --models"
    )
    p.add_argument(
        "--whole-tar",
        action="store_true",
        help="download the whole tar even with --models (then extract them)",
    )
    p.add_argument(
        "--keep-tar", action="store_true", help="keep the tar after extracting"
    )
    o = sub.add_parser("openfold", help="OpenFold's .pt checkpoints")
    o.add_argument("--dest", required=True)
    o.add_argument(
        "--files",
        default="finetuning_ptm_2.pt",
        help=f"comma-separated, from {', '.join(OPENFOLD_FILES)}",
    )
    m = sub.add_parser("msa", help="an MSA (a3m) from ColabFold's MMseqs2 server")
    m.add_argument("--sequence", required=True)
    m.add_argument("--dest", required=True)
    m.add_argument("--name", default="query")
    m.add_argument("--server", default=COLABFOLD_SERVER)
    for s in (p, o):
        s.add_argument(
            "--url", help="another mirror of the same file(s) (a base URL for openfold)"
        )
        s.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    try:
        if args.what == "params":
            params(args)
        elif args.what == "openfold":
            for f in args.files.split(","):
                if f not in OPENFOLD_PARAMS:
                    raise DownloadError(
                        f"unknown OpenFold file {f!r}; choose from "
                        f"{', '.join(OPENFOLD_FILES)}"
                    )
                remote = (
                    OPENFOLD_PARAMS[f]
                    if args.url is None
                    else Remote(args.url.rstrip("/") + "/" + f, "--url")
                )
                print(fetch(remote, args.dest, progress=not args.quiet))
        else:
            print(fetch_msa(args.sequence, args.dest, args.name, args.server))
    except (DownloadError, OSError, tarfile.TarError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
