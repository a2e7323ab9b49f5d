"""Saved reference outputs: nested Python values <-> (JSON tree, flat arrays) <-> ``.npz``.

A function may return a tensor, an array, a number, a string, ``None``, or tuples,
lists, dicts, NamedTuples, dataclasses and plain objects (their public attributes) of
these. ``flatten`` turns such a value into
a JSON tree whose array leaves name keys of a flat ``{key: ndarray}`` dict; the tree is
stored beside the arrays as a 0-d string array, so everything loads with
``allow_pickle=False``. ``write_npz`` is byte-deterministic (sorted keys, fixed zip
timestamps, no compression), so a rebuild of unchanged references changes no byte.
"""

from __future__ import annotations

import dataclasses
import io
import json
import zipfile
from pathlib import Path

import numpy as np
import torch

TREE = "__tree__"


def flatten(value, prefix: str, arrays: dict[str, np.ndarray]) -> dict:
    """The JSON tree of ``value``; array leaves go into ``arrays`` under ``prefix/...``."""
    if isinstance(value, torch.Tensor):
        arrays[prefix] = value.detach().cpu().numpy()
        return {"t": "tensor", "k": prefix, "dtype": str(value.dtype)}
    if isinstance(value, np.ndarray):
        arrays[prefix] = value
        return {"t": "ndarray", "k": prefix}
    if value is None:
        return {"t": "none"}
    if isinstance(value, (bool, int, float, str, np.generic)):
        value = value.item() if isinstance(value, np.generic) else value
        return {"t": type(value).__name__, "v": value}
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        fields = {f: getattr(value, f) for f in value._fields}
        return _object(value, fields, prefix, arrays)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
        return _object(value, fields, prefix, arrays)
    if isinstance(value, (tuple, list)):
        items = [flatten(v, f"{prefix}/{i}", arrays) for i, v in enumerate(value)]
        return {"t": type(value).__name__, "items": items}
    if isinstance(value, dict):
        items = {str(k): flatten(v, f"{prefix}/{k}", arrays) for k, v in value.items()}
        return {"t": "dict", "items": items}
    if hasattr(value, "__dict__") and not callable(value):
        # a plain object of tensors (e.g. a rigid transform): its public attributes
        fields = {k: v for k, v in vars(value).items() if not k.startswith("_")}
        return _object(value, fields, prefix, arrays)
    raise TypeError(f"cannot save a value of type {type(value).__name__} at {prefix}")


def _object(value, fields: dict, prefix: str, arrays: dict) -> dict:
    items = {k: flatten(v, f"{prefix}/{k}", arrays) for k, v in fields.items()}
    return {"t": "object", "cls": type(value).__name__, "items": items}


def dumps(tree) -> np.ndarray:
    return np.array(json.dumps(tree, sort_keys=True, separators=(",", ":")))


def loads(array: np.ndarray):
    return json.loads(str(array[()]))


def npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    """A ``.npz`` file as bytes, identical for identical arrays."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as zf:
        for key in sorted(arrays):
            buf = io.BytesIO()
            array = np.asarray(
                arrays[key]
            )  # (ascontiguousarray would make 0-d arrays 1-d)
            array = array if array.flags.c_contiguous else array.copy(order="C")
            np.lib.format.write_array(buf, array, allow_pickle=False)
            info = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            zf.writestr(info, buf.getvalue())
    return out.getvalue()


def load_npz(path: Path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as data:
        return {k: data[k] for k in data.files}


def same_content(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> bool:
    """Same keys, shapes and dtypes, and values equal up to float round-off (a rebuild
    on another machine's BLAS may differ in the last bits; that is not stale)."""
    if a.keys() != b.keys():
        return False
    for k in a:
        x, y = a[k], b[k]
        if x.shape != y.shape or x.dtype != y.dtype:
            return False
        if x.dtype.kind == "f":
            if not np.allclose(x, y, rtol=1e-9, atol=1e-12, equal_nan=True):
                return False
        elif not np.array_equal(x, y):
            return False
    return True
