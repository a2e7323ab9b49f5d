"""Write a predicted structure as PDB or mmCIF, and its confidence scores as JSON/npz.

The structure is given in AF2's atom37 layout: ``atom_positions [N_res, 37, 3]`` (Å),
``atom_mask [N_res, 37]`` (1 = atom present) and ``aatype [N_res]`` (AF order, 20 = X).
As in the AlphaFold Database and ColabFold, the per-residue pLDDT (0-100) goes into
the B-factor column of every atom of its residue, so any viewer can colour by it.
A ``note`` (e.g. that the weights were random) travels with every format: PDB
``REMARK 250`` records, the mmCIF ``_struct.title``, a ``"note"`` key in the JSON.
"""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import numpy as np

from . import residue_constants as rc


def _as_numpy(x) -> np.ndarray:
    """A torch tensor (any device or dtype) or array-like as a numpy array."""
    if hasattr(x, "detach"):
        x = x.detach().cpu()
        x = x.float() if x.is_floating_point() else x
        return x.numpy()
    return np.asarray(x)


def _atoms(atom_positions, atom_mask, aatype, plddt, residue_index):
    """Yield (position 1..N_res, resname, res_number, atom_name, element, xyz, b_factor)
    for every present atom."""
    pos = _as_numpy(atom_positions).astype(np.float64)
    mask = _as_numpy(atom_mask)
    aatype = _as_numpy(aatype).astype(np.int64)
    n_res = aatype.shape[0]
    if pos.shape != (n_res, len(rc.atom_types), 3) or mask.shape != (
        n_res,
        len(rc.atom_types),
    ):
        raise ValueError(
            f"expected atom_positions [{n_res}, 37, 3] and atom_mask [{n_res}, 37], "
            f"got {pos.shape} and {mask.shape}"
        )
    b = np.zeros(n_res) if plddt is None else _as_numpy(plddt).astype(np.float64)
    if b.shape not in ((n_res,), (n_res, len(rc.atom_types))):
        raise ValueError(f"plddt must be [{n_res}] or [{n_res}, 37], got {b.shape}")
    # [N_res, 37]
    b = np.broadcast_to(b[:, None] if b.ndim == 1 else b, mask.shape)
    numbers = (
        np.arange(1, n_res + 1) if residue_index is None else _as_numpy(residue_index)
    )
    for i in range(n_res):
        one = rc.restypes[aatype[i]] if aatype[i] < len(rc.restypes) else "X"
        resname = rc.restype_1to3.get(one, "UNK")
        for a, name in enumerate(rc.atom_types):
            if mask[i, a] > 0.5:
                # atom37 names start with their element (N, C, O, S: one letter each)
                yield (
                    i + 1,
                    resname,
                    int(numbers[i]),
                    name,
                    name[0],
                    pos[i, a],
                    float(b[i, a]),
                )


def atom_record(
    serial: int,
    name: str,
    resname: str,
    chain_id: str,
    res_number: int,
    xyz,
    b_factor: float,
    element: str,
) -> str:
    """One ATOM record of a PDB file: 80 columns, every field at its fixed place.

    ========  ================  ===========================================
    columns   field             format
    ========  ================  ===========================================
    1-6       record name       ``ATOM`` and two spaces
    7-11      serial number     right-aligned
    13-16     atom name         4 characters start in column 13, shorter
                                names in column 14 (so the element lines up)
    17        alternate loc.    blank
    18-20     residue name      e.g. ``MET``
    22        chain             e.g. ``A``
    23-26     residue number    right-aligned
    27        insertion code    blank
    31-54     x, y, z (Å)       8 columns each, 3 decimals
    55-60     occupancy         ``  1.00``
    61-66     B-factor          6 columns, 2 decimals: here the pLDDT
    77-78     element           right-aligned
    79-80     charge            blank
    ========  ================  ===========================================

    Columns not listed (12, 21, 28-30, 67-76) are blank.

    Args:
        serial: the atom's number in the file (1, 2, ...).
        name: the atom's name, e.g. ``"CA"``.
        resname: the residue's three-letter name.
        chain_id: one character.
        res_number: the residue's number.
        xyz: the atom's position, three numbers (Å).
        b_factor: the number for the B-factor column (the residue's pLDDT, 0-100).
        element: the atom's element, e.g. ``"C"``.

    Returns:
        the 80-character line, without a newline.
    """
    # Hint: an f-string with widths and alignments: f"{serial:>5}", f"{x:8.3f}".
    # YOUR CODE HERE
    raise NotImplementedError()
    return line


def to_pdb(
    atom_positions,
    atom_mask,
    aatype,
    plddt=None,
    residue_index=None,
    chain_id: str = "A",
    note: str | None = None,
) -> str:
    """One chain as PDB text: ATOM records, TER, END (fixed 80-column records).

    plddt: [N_res] (or [N_res, 37]) written to the B-factor column.
    residue_index: residue numbers to write (default 1..N_res).
    note: free text written first, as REMARK 250 records (how the model was made).
    """
    lines = [f"REMARK 250 {part}".ljust(80) for part in textwrap.wrap(note or "", 69)]
    serial = 0
    last = None
    for _, resname, resseq, name, element, xyz, b in _atoms(
        atom_positions, atom_mask, aatype, plddt, residue_index
    ):
        serial += 1
        last = (resname, resseq)
        lines.append(
            atom_record(serial, name, resname, chain_id, resseq, xyz, b, element)
        )
    if last is not None:
        serial += 1
        lines.append(
            f"{'TER':<6}{serial:>5}{'':6}{last[0]:>3} {chain_id:1}{last[1]:>4}".ljust(
                80
            )
        )
    lines.append("END".ljust(80))
    return "\n".join(lines) + "\n"


_ATOM_SITE_FIELDS = (
    "group_PDB",
    "id",
    "type_symbol",
    "label_atom_id",
    "label_alt_id",
    "label_comp_id",
    "label_asym_id",
    "label_entity_id",
    "label_seq_id",
    "pdbx_PDB_ins_code",
    "Cartn_x",
    "Cartn_y",
    "Cartn_z",
    "occupancy",
    "B_iso_or_equiv",
    "auth_seq_id",
    "auth_comp_id",
    "auth_asym_id",
    "auth_atom_id",
    "pdbx_PDB_model_num",
)


def to_mmcif(
    atom_positions,
    atom_mask,
    aatype,
    plddt=None,
    residue_index=None,
    chain_id: str = "A",
    name: str = "prediction",
    note: str | None = None,
) -> str:
    """One chain as a minimal mmCIF: entity, polymer sequence and an ``_atom_site`` loop
    with pLDDT in ``B_iso_or_equiv``. Arguments as ``to_pdb``; ``name`` is the data
    block; ``note`` becomes ``_struct.title``."""
    aatype_np = _as_numpy(aatype).astype(np.int64)
    name = (
        re.sub(r"[^A-Za-z0-9_.-]", "_", name) or "prediction"
    )  # a CIF block name has no spaces
    lines = [f"data_{name}", "#", f"_entry.id {name}", "#"]
    if note:  # a text field: any characters but a line starting with ';'
        lines += [f"_struct.entry_id {name}", "_struct.title", f";{note}", ";", "#"]
    lines += ["loop_", "_entity.id", "_entity.type", "1 polymer", "#"]
    lines += [
        "loop_",
        "_entity_poly_seq.entity_id",
        "_entity_poly_seq.num",
        "_entity_poly_seq.mon_id",
        "_entity_poly_seq.hetero",
    ]
    for i, t in enumerate(aatype_np):
        one = rc.restypes[t] if t < len(rc.restypes) else "X"
        lines.append(f"1 {i + 1} {rc.restype_1to3.get(one, 'UNK')} n")
    lines += ["#", "loop_"] + [f"_atom_site.{f}" for f in _ATOM_SITE_FIELDS]
    serial = 0
    for seq_id, resname, resseq, atom, element, xyz, b in _atoms(
        atom_positions, atom_mask, aatype, plddt, residue_index
    ):
        serial += 1
        lines.append(
            f"ATOM {serial} {element} {atom} . {resname} {chain_id} 1 {seq_id} ? "
            f"{xyz[0]:.3f} {xyz[1]:.3f} {xyz[2]:.3f} 1.00 {b:.2f} "
            f"{resseq} {resname} {chain_id} {atom} 1"
        )
    lines.append("#")
    return "\n".join(lines) + "\n"


def save_scores(
    path, plddt, ptm=None, pae=None, max_pae=None, note: str | None = None
) -> tuple[Path, Path]:
    """Write ``<path>.json`` (human-readable, 2 decimals, ColabFold's keys) and
    ``<path>.npz`` (full precision, loadable without pickle). Returns both paths.

    plddt: [N_res] per-residue pLDDT (0-100); ptm: predicted TM-score (0-1);
    pae: [N_res, N_res] predicted aligned error (Å); max_pae: its largest bin centre;
    note: free text, the JSON's ``"note"``.
    """
    path = Path(path)
    arrays = {"plddt": _as_numpy(plddt).astype(np.float32)}
    record = {"plddt": np.round(arrays["plddt"].astype(float), 2).tolist()}
    if ptm is not None:
        arrays["ptm"] = np.asarray(float(_as_numpy(ptm)), np.float32)
        record["ptm"] = round(float(arrays["ptm"]), 4)
    if pae is not None:
        arrays["pae"] = _as_numpy(pae).astype(np.float32)
        record["pae"] = np.round(arrays["pae"].astype(float), 2).tolist()
    if max_pae is not None:
        arrays["max_pae"] = np.asarray(float(max_pae), np.float32)
        record["max_pae"] = float(max_pae)
    if note:
        record["note"] = note
    json_path, npz_path = path.with_suffix(".json"), path.with_suffix(".npz")
    json_path.write_text(json.dumps(record))
    np.savez(npz_path, **arrays)
    return json_path, npz_path


def load_scores(path) -> dict[str, np.ndarray]:
    """Read scores written by ``save_scores`` (the ``.npz``; no pickle)."""
    with np.load(Path(path).with_suffix(".npz"), allow_pickle=False) as f:
        return {k: f[k] for k in f.files}
