"""Residue constants: residue and atom orders, ideal side-chain geometry, rigid groups.

Facts (re-typed, in our own layout) and the tables derived from them by our own code.

Provenance. The residue order, the atom37 and atom14 atom orders, the chi-angle atoms,
the pi-periodic chis and the ideal atom coordinates are those of AlphaFold2's
``alphafold/common/residue_constants.py`` (Apache 2.0), which must be matched exactly
for DeepMind's weights to work. The ideal coordinates are idealised residues after
Engh & Huber (1991), expressed in the local frame of the rigid group each atom moves
with (SI §1.8, Table 2). The tests compare every table here with DeepMind's.

Rigid groups (index: name, frame relative to its parent):
  0 backbone   (N, CA, C, CB): the backbone frame itself
  1 pre-omega  (empty): identity
  2 phi        (empty, only H atoms): origin N, x-axis CA -> N
  3 psi        (O): origin C, x-axis CA -> C
  4 chi1       origin = 3rd chi1 atom, x-axis along chi1's rotation axis
  5, 6, 7      chi2-4, relative to the previous chi group (Alg. 24 chains them)
Each frame's y-axis is chosen so that the atom defining the torsion angle lies in the
xy-plane with y > 0; the torsion then rotates about the x-axis.

Arrays are numpy (float32 / int64), indexed by ``aatype`` (AF order, 20 = X/UNK);
``all_atom`` moves them to the dtype and device of its inputs.
"""

import numpy as np
import torch

from .geometry import rigid_from_3_points

# --- residue types (AF order: alphabetical by 3-letter code) ---------------------
restypes = list("ARNDCQEGHILKMFPSTWYV")
restype_order = {r: i for i, r in enumerate(restypes)}
restype_num = len(restypes)  # 20
unk_restype_index = restype_num  # X = 20
restypes_with_x = restypes + ["X"]
restype_order_with_x = {r: i for i, r in enumerate(restypes_with_x)}
resnames = (
    "ALA ARG ASN ASP CYS GLN GLU GLY HIS ILE LEU LYS MET PHE PRO SER THR TRP TYR VAL"
).split()
restype_1to3 = dict(zip(restypes, resnames))
restype_3to1 = {v: k for k, v in restype_1to3.items()}
resnames_with_unk = resnames + ["UNK"]

# HHblits' alphabet (the raw MSA encoding); 20 = X (also B, J, O, U, Z), 21 = gap.
hhblits_letters = "ACDEFGHIKLMNPQRSTVWYX-"
MAP_HHBLITS_AATYPE_TO_OUR_AATYPE = tuple(
    (restypes_with_x + ["-"]).index(a) for a in hhblits_letters
)

# --- atom37: every heavy atom type of the 20 residues, plus the C-terminal OXT ---
atom_types = (
    "N CA C CB O CG CG1 CG2 OG OG1 SG CD CD1 CD2 ND1 ND2 OD1 OD2 SD CE CE1 CE2 CE3 "
    "NE NE1 NE2 OE1 OE2 CH2 NH1 NH2 OH CZ CZ2 CZ3 NZ OXT"
).split()
atom_order = {a: i for i, a in enumerate(atom_types)}
atom_type_num = len(atom_types)  # 37

# --- ideal atoms: one line per heavy atom, in each residue's atom14 order --------
# residue, atom, rigid group, x y z (Å) in the frame of that rigid group
_IDEAL_ATOMS = """
ALA N   0  -0.525   1.363   0.000
ALA CA  0   0.000   0.000   0.000
ALA C   0   1.526   0.000   0.000
ALA O   3   0.627   1.062   0.000
ALA CB  0  -0.529  -0.774  -1.205

ARG N   0  -0.524   1.362   0.000
ARG CA  0   0.000   0.000   0.000
ARG C   0   1.525   0.000   0.000
ARG O   3   0.626   1.062   0.000
ARG CB  0  -0.524  -0.778  -1.209
ARG CG  4   0.616   1.390   0.000
ARG CD  5   0.564   1.414   0.000
ARG NE  6   0.539   1.357   0.000
ARG CZ  7   0.758   1.093   0.000
ARG NH1 7   0.206   2.301   0.000
ARG NH2 7   2.078   0.978   0.000

ASN N   0  -0.536   1.357   0.000
ASN CA  0   0.000   0.000   0.000
ASN C   0   1.526   0.000   0.000
ASN O   3   0.625   1.062   0.000
ASN CB  0  -0.531  -0.787  -1.200
ASN CG  4   0.584   1.399   0.000
ASN OD1 5   0.633   1.059   0.000
ASN ND2 5   0.593  -1.188   0.001

ASP N   0  -0.525   1.362   0.000
ASP CA  0   0.000   0.000   0.000
ASP C   0   1.527   0.000   0.000
ASP O   3   0.626   1.062   0.000
ASP CB  0  -0.526  -0.778  -1.208
ASP CG  4   0.593   1.398   0.000
ASP OD1 5   0.610   1.091   0.000
ASP OD2 5   0.592  -1.101  -0.003

CYS N   0  -0.522   1.362   0.000
CYS CA  0   0.000   0.000   0.000
CYS C   0   1.524   0.000   0.000
CYS O   3   0.625   1.062   0.000
CYS CB  0  -0.519  -0.773  -1.212
CYS SG  4   0.728   1.653   0.000

GLN N   0  -0.526   1.361   0.000
GLN CA  0   0.000   0.000   0.000
GLN C   0   1.526   0.000   0.000
GLN O   3   0.626   1.062   0.000
GLN CB  0  -0.525  -0.779  -1.207
GLN CG  4   0.615   1.393   0.000
GLN CD  5   0.587   1.399   0.000
GLN OE1 6   0.634   1.060   0.000
GLN NE2 6   0.593  -1.189  -0.001

GLU N   0  -0.528   1.361   0.000
GLU CA  0   0.000   0.000   0.000
GLU C   0   1.526   0.000   0.000
GLU O   3   0.626   1.062   0.000
GLU CB  0  -0.526  -0.781  -1.207
GLU CG  4   0.615   1.392   0.000
GLU CD  5   0.600   1.397   0.000
GLU OE1 6   0.607   1.095   0.000
GLU OE2 6   0.589  -1.104  -0.001

GLY N   0  -0.572   1.337   0.000
GLY CA  0   0.000   0.000   0.000
GLY C   0   1.517   0.000   0.000
GLY O   3   0.626   1.062   0.000

HIS N   0  -0.527   1.360   0.000
HIS CA  0   0.000   0.000   0.000
HIS C   0   1.525   0.000   0.000
HIS O   3   0.625   1.063   0.000
HIS CB  0  -0.525  -0.778  -1.208
HIS CG  4   0.600   1.370   0.000
HIS ND1 5   0.744   1.160   0.000
HIS CD2 5   0.889  -1.021   0.003
HIS CE1 5   2.030   0.851   0.002
HIS NE2 5   2.145  -0.466   0.004

ILE N   0  -0.493   1.373   0.000
ILE CA  0   0.000   0.000   0.000
ILE C   0   1.527   0.000   0.000
ILE O   3   0.627   1.062   0.000
ILE CB  0  -0.536  -0.793  -1.213
ILE CG1 4   0.534   1.437   0.000
ILE CG2 4   0.540  -0.785  -1.199
ILE CD1 5   0.619   1.391   0.000

LEU N   0  -0.520   1.363   0.000
LEU CA  0   0.000   0.000   0.000
LEU C   0   1.525   0.000   0.000
LEU O   3   0.625   1.063   0.000
LEU CB  0  -0.522  -0.773  -1.214
LEU CG  4   0.678   1.371   0.000
LEU CD1 5   0.530   1.430   0.000
LEU CD2 5   0.535  -0.774   1.200

LYS N   0  -0.526   1.362   0.000
LYS CA  0   0.000   0.000   0.000
LYS C   0   1.526   0.000   0.000
LYS O   3   0.626   1.062   0.000
LYS CB  0  -0.524  -0.778  -1.208
LYS CG  4   0.619   1.390   0.000
LYS CD  5   0.559   1.417   0.000
LYS CE  6   0.560   1.416   0.000
LYS NZ  7   0.554   1.387   0.000

MET N   0  -0.521   1.364   0.000
MET CA  0   0.000   0.000   0.000
MET C   0   1.525   0.000   0.000
MET O   3   0.625   1.062   0.000
MET CB  0  -0.523  -0.776  -1.210
MET CG  4   0.613   1.391   0.000
MET SD  5   0.703   1.695   0.000
MET CE  6   0.320   1.786   0.000

PHE N   0  -0.518   1.363   0.000
PHE CA  0   0.000   0.000   0.000
PHE C   0   1.524   0.000   0.000
PHE O   3   0.626   1.062   0.000
PHE CB  0  -0.525  -0.776  -1.212
PHE CG  4   0.607   1.377   0.000
PHE CD1 5   0.709   1.195   0.000
PHE CD2 5   0.706  -1.196   0.000
PHE CE1 5   2.102   1.198   0.000
PHE CE2 5   2.098  -1.201   0.000
PHE CZ  5   2.794  -0.003  -0.001

PRO N   0  -0.566   1.351   0.000
PRO CA  0   0.000   0.000   0.000
PRO C   0   1.527   0.000   0.000
PRO O   3   0.621   1.066   0.000
PRO CB  0  -0.546  -0.611  -1.293
PRO CG  4   0.382   1.445   0.000
PRO CD  5   0.477   1.424   0.000

SER N   0  -0.529   1.360   0.000
SER CA  0   0.000   0.000   0.000
SER C   0   1.525   0.000   0.000
SER O   3   0.626   1.062   0.000
SER CB  0  -0.518  -0.777  -1.211
SER OG  4   0.503   1.325   0.000

THR N   0  -0.517   1.364   0.000
THR CA  0   0.000   0.000   0.000
THR C   0   1.526   0.000   0.000
THR O   3   0.626   1.062   0.000
THR CB  0  -0.516  -0.793  -1.215
THR OG1 4   0.472   1.353   0.000
THR CG2 4   0.550  -0.718  -1.228

TRP N   0  -0.521   1.363   0.000
TRP CA  0   0.000   0.000   0.000
TRP C   0   1.525   0.000   0.000
TRP O   3   0.627   1.062   0.000
TRP CB  0  -0.523  -0.776  -1.212
TRP CG  4   0.609   1.370   0.000
TRP CD1 5   0.824   1.091   0.000
TRP CD2 5   0.854  -1.148  -0.005
TRP NE1 5   2.140   0.690  -0.004
TRP CE2 5   2.186  -0.678  -0.007
TRP CE3 5   0.622  -2.530  -0.007
TRP CZ2 5   3.283  -1.543  -0.011
TRP CZ3 5   1.715  -3.389  -0.011
TRP CH2 5   3.028  -2.890  -0.013

TYR N   0  -0.522   1.362   0.000
TYR CA  0   0.000   0.000   0.000
TYR C   0   1.524   0.000   0.000
TYR O   3   0.627   1.062   0.000
TYR CB  0  -0.522  -0.776  -1.213
TYR CG  4   0.607   1.382   0.000
TYR CD1 5   0.716   1.195   0.000
TYR CD2 5   0.713  -1.194  -0.001
TYR CE1 5   2.107   1.200  -0.002
TYR CE2 5   2.104  -1.201  -0.003
TYR CZ  5   2.791  -0.001  -0.003
TYR OH  5   4.168  -0.002  -0.005

VAL N   0  -0.494   1.373   0.000
VAL CA  0   0.000   0.000   0.000
VAL C   0   1.527   0.000   0.000
VAL O   3   0.627   1.062   0.000
VAL CB  0  -0.533  -0.795  -1.213
VAL CG1 4   0.540   1.429   0.000
VAL CG2 4   0.533  -0.776   1.203
"""

# Chi angles: chi_k is the dihedral of atoms path[k-1 : k+3] (ARG's chi5 is ignored).
_CHI_PATHS = {
    "ALA": "",
    "ARG": "N CA CB CG CD NE CZ",
    "ASN": "N CA CB CG OD1",
    "ASP": "N CA CB CG OD1",
    "CYS": "N CA CB SG",
    "GLN": "N CA CB CG CD OE1",
    "GLU": "N CA CB CG CD OE1",
    "GLY": "",
    "HIS": "N CA CB CG ND1",
    "ILE": "N CA CB CG1 CD1",
    "LEU": "N CA CB CG CD1",
    "LYS": "N CA CB CG CD CE NZ",
    "MET": "N CA CB CG SD CE",
    "PHE": "N CA CB CG CD1",
    "PRO": "N CA CB CG CD",
    "SER": "N CA CB OG",
    "THR": "N CA CB OG1",
    "TRP": "N CA CB CG CD1",
    "TYR": "N CA CB CG CD1",
    "VAL": "N CA CB CG1",
}
# chi angles that may turn by pi without changing the structure (symmetric groups)
_CHI_PI_PERIODIC = {"ASP": 2, "GLU": 3, "PHE": 2, "TYR": 2}

rigid_group_names = "backbone pre-omega phi psi chi1 chi2 chi3 chi4".split()


def _parse_ideal_atoms() -> dict[str, list[tuple[str, int, tuple[float, ...]]]]:
    table = {name: [] for name in resnames}
    for line in _IDEAL_ATOMS.strip().splitlines():
        if line:
            res, atom, group, *xyz = line.split()
            table[res].append((atom, int(group), tuple(float(c) for c in xyz)))
    return table


# resname -> [(atom name, rigid group, ideal position in that group's frame)]
rigid_group_atom_positions = _parse_ideal_atoms()
restype_name_to_atom14_names = {
    res: [a for a, _, _ in atoms] + [""] * (14 - len(atoms))
    for res, atoms in rigid_group_atom_positions.items()
}
restype_name_to_atom14_names["UNK"] = [""] * 14

chi_angles_atoms = {
    res: [path.split()[k : k + 4] for k in range(len(path.split()) - 3)]
    for res, path in _CHI_PATHS.items()
}
# [21, 4] (rows: AF order + X)
chi_angles_mask = np.array(
    [[float(k < len(chi_angles_atoms[r])) for k in range(4)] for r in resnames]
    + [[0.0] * 4],
    dtype=np.float32,
)
chi_pi_periodic = np.array(
    [
        [float(_CHI_PI_PERIODIC.get(r) == k + 1) for k in range(4)]
        for r in resnames_with_unk
    ],
    dtype=np.float32,
)


def _frame(ex: np.ndarray, ey: np.ndarray, origin: np.ndarray) -> np.ndarray:
    """[4, 4] frame with the given origin, x-axis along ex and ey in the xy-plane."""
    ex, ey, origin = (torch.tensor(v, dtype=torch.float64) for v in (ex, ey, origin))
    frame = rigid_from_3_points(origin + ey, origin, origin + ex, eps=0.0)
    return frame.to_tensor_4x4().numpy()


def _default_frames(res: str) -> np.ndarray:
    """[8, 4, 4] each rigid group's frame in its parent's frame (SI §1.8, Table 2)."""
    pos = {a: np.array(x) for a, _, x in rigid_group_atom_positions[res]}
    frames = np.zeros((8, 4, 4))  # all-zero for chi groups the residue lacks
    frames[0] = frames[1] = np.eye(4)  # backbone, pre-omega: identity
    frames[2] = _frame(pos["N"] - pos["CA"], np.array([1.0, 0.0, 0.0]), pos["N"])
    frames[3] = _frame(pos["C"] - pos["CA"], pos["CA"] - pos["N"], pos["C"])
    chis = chi_angles_atoms[res]
    if chis:
        a0, a1, a2 = (pos[a] for a in chis[0][:3])
        frames[4] = _frame(a2 - a1, a0 - a1, a2)
    for k in range(1, len(chis)):
        # chi_k's axis ends at an atom of group chi_(k-1), whose origin starts it
        axis_end = pos[chis[k][2]]
        frames[4 + k] = _frame(axis_end, np.array([-1.0, 0.0, 0.0]), axis_end)
    return frames


def _make_tables():
    frames = np.zeros((21, 8, 4, 4), dtype=np.float32)
    atom14_group = np.zeros((21, 14), dtype=np.int64)
    atom14_mask = np.zeros((21, 14), dtype=np.float32)
    atom14_pos = np.zeros((21, 14, 3), dtype=np.float32)
    atom37_group = np.zeros((21, 37), dtype=np.int64)
    atom37_mask = np.zeros((21, 37), dtype=np.float32)
    atom37_pos = np.zeros((21, 37, 3), dtype=np.float32)
    atom14_to_atom37 = np.zeros((21, 14), dtype=np.int64)
    atom37_to_atom14 = np.zeros((21, 37), dtype=np.int64)
    for r, res in enumerate(resnames):
        frames[r] = _default_frames(res)
        for i, (atom, group, xyz) in enumerate(rigid_group_atom_positions[res]):
            a = atom_order[atom]
            atom14_group[r, i], atom14_mask[r, i], atom14_pos[r, i] = group, 1, xyz
            atom37_group[r, a], atom37_mask[r, a], atom37_pos[r, a] = group, 1, xyz
            atom14_to_atom37[r, i], atom37_to_atom14[r, a] = a, i
    return (
        *(frames, atom14_group, atom14_mask, atom14_pos),
        *(atom37_group, atom37_mask, atom37_pos, atom14_to_atom37, atom37_to_atom14),
    )


# Row 20 (X / UNK) is all zero, frames included (as in AF2).
(
    restype_rigid_group_default_frame,  # [21, 8, 4, 4] group frame -> parent frame
    restype_atom14_to_rigid_group,  # [21, 14] rigid group of each atom14 slot
    restype_atom14_mask,  # [21, 14] 1 where the slot holds an atom
    restype_atom14_rigid_group_positions,  # [21, 14, 3] ideal position in its group
    restype_atom37_to_rigid_group,  # [21, 37]
    restype_atom37_mask,  # [21, 37]
    restype_atom37_rigid_group_positions,  # [21, 37, 3]
    restype_atom14_to_atom37,  # [21, 14] atom37 index of each slot (0 if empty)
    restype_atom37_to_atom14,  # [21, 37] atom14 slot of each atom (0 if absent)
) = _make_tables()

# --- naming ambiguities (SI §1.9.3, Table 3) ---------------------------------------
# Atoms whose names swap under a 180° flip of the last chi group: the same structure
# can be written down two ways. Facts from AF2's ``residue_atom_renaming_swaps``.
residue_atom_renaming_swaps = {
    "ASP": {"OD1": "OD2"},
    "GLU": {"OE1": "OE2"},
    "PHE": {"CD1": "CD2", "CE1": "CE2"},
    "TYR": {"CD1": "CD2", "CE1": "CE2"},
}


def _make_ambiguity_tables():
    partner = np.tile(np.arange(14), (21, 1))
    ambiguous = np.zeros((21, 14), dtype=np.float32)
    for res, swaps in residue_atom_renaming_swaps.items():
        r, names = resnames.index(res), restype_name_to_atom14_names[res]
        for a, b in swaps.items():
            i, j = names.index(a), names.index(b)
            partner[r, i], partner[r, j] = j, i
            ambiguous[r, [i, j]] = 1
    return partner, ambiguous


(
    # [21, 14] the slot a renaming swaps each atom with (itself if none)
    restype_atom14_ambiguous_partner,
    restype_atom14_is_ambiguous,  # [21, 14] 1 for atoms a renaming moves
) = _make_ambiguity_tables()
