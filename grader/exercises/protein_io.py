"""Exercises of ``reference/protein_io.py`` (lesson 7): the PDB record that carries
a predicted atom, with the pLDDT in its B-factor column."""

from ..cases import Case, Exercise, edits
from ..inputs import Draw


def _atom(d: Draw, visible: tuple, hidden: tuple, scale: float):
    """(serial, name, resname, chain, number, pLDDT or None) from the run, a drawn
    position (and pLDDT, where None), the element from the name."""
    serial, name, resname, chain, number, plddt = hidden if d.hidden else visible
    x, y, z = (float(v) for v in d.randn("xyz", 3, scale=scale))
    if plddt is None:
        plddt = 30 + 70 * float(d.rand("plddt", 1)[0])
    return (serial, name, resname, chain, number, (x, y, z), plddt, name[0]), {}


def _case(label: str, visible: tuple, hidden: tuple, scale: float) -> Case:
    return Case(label, lambda d: _atom(d, visible, hidden, scale))


EXERCISES = [
    Exercise(
        "protein_io.atom_record",
        lesson=7,
        points=2,
        cases=[
            _case(
                "a backbone atom",
                (2, "CA", "MET", "A", 1, None),
                (1214, "N", "GLY", "B", 87, None),
                scale=10.0,
            ),
            _case(
                "a side-chain atom far from the origin",
                (731, "OG1", "THR", "A", 96, None),
                (9, "NH2", "ARG", "C", 1004, None),
                scale=120.0,
            ),
            _case(
                "a four-character name, pLDDT 100 and below 10",
                (55, "HD21", "ASN", "A", 7, 100.0),
                (3, "HE22", "GLN", "D", 412, 7.25),
                scale=40.0,
            ),
        ],
        mistakes=edits(r"""
        atom names shorter than 4 characters start in column 14: one space before them
            padded = name if len(name) == 4 else f" {name}" => padded = name
        x, y, z take 8 columns each with 3 decimals (8.3f)
            {xyz[0]:8.3f}{xyz[1]:8.3f}{xyz[2]:8.3f} => \
                {xyz[0]:8.2f}{xyz[1]:8.2f}{xyz[2]:8.2f}
        the B-factor column (61-66) holds the pLDDT; the occupancy (55-60) is 1.00
            {1.0:6.2f}{b_factor:6.2f} => {b_factor:6.2f}{1.0:6.2f}
        numbers are right-aligned: the serial number ends in column 11
            {serial:>5} => {serial:<5}
        a record has 80 columns: the element in 77-78, then two blank columns
            {element:>2}  " => {element:>2}"
        """),
    ),
]
