"""Reading multiple sequence alignments in a3m format.

An a3m file is FASTA-like: a ``>`` header line, then the sequence, for every aligned
sequence; the first record is the query. Upper-case letters and ``-`` (gap) are
*aligned* columns, one per query residue. Lower-case letters are *insertions*: residues
of a homologue that have no column in the query. AlphaFold2 drops the insertions and
keeps only how many there were, as the deletion count of the next aligned column
(the ``deletion_matrix``, read by the features of SI §1.2.9, Table 1). Lower-case
letters after the last column are dropped with no trace.

Lines starting with ``#`` are comments (ColabFold writes ``#L 1``, query length and
copy number, as the first line); blank lines are ignored. Anything else that is not a
valid a3m raises ``A3MError`` naming the file and line: nothing is dropped silently.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from pathlib import Path

# Letters allowed in an aligned column: the 26 upper-case letters (B, J, O, U, X, Z
# are mapped later, as AF2 maps them) and the gap.
ALIGNED_LETTERS = frozenset(string.ascii_uppercase + "-")
INSERTION_LETTERS = frozenset(string.ascii_lowercase)


class A3MError(ValueError):
    """A malformed a3m file; the message names the file and the line."""

    def __init__(self, source: str, line: int | None, message: str):
        where = f"{source}, line {line}" if line is not None else source
        super().__init__(f"{where}: {message}")
        self.source, self.line = source, line


@dataclass
class A3M:
    """A parsed alignment, query first.

    Attributes:
        sequences: N_seq aligned rows of N_res letters each (insertions removed).
        deletion_matrix: [N_seq][N_res] number of insertions just before each column.
        descriptions: N_seq header lines without the leading ``>``.
    """

    sequences: list[str]
    deletion_matrix: list[list[int]]
    descriptions: list[str]

    def __len__(self) -> int:
        return len(self.sequences)

    @property
    def query(self) -> str:
        """The first (query) sequence."""
        return self.sequences[0]


def split_insertions(row: str) -> tuple[str, list[int]]:
    """Remove the insertions of one a3m row and count them.

    SI §1.2.9, Table 1 (``deletion_matrix``): the number of residues a homologue
    has between two aligned columns becomes a count on the column after them.

    Args:
        row: one a3m sequence, e.g. ``"AbcD-eF"`` (lower case = insertion).

    Returns:
        ``(aligned, deletions)``: ``aligned`` keeps the upper-case letters and gaps
        (``"AD-F"``); ``deletions[j]`` is the number of lower-case letters just
        before ``aligned[j]`` (``[0, 2, 0, 1]``). Lower-case letters after the last
        aligned column are dropped.
    """
    aligned, deletions = [], []
    # Hint: walk the row once, keeping a running count of lower-case letters;
    # at each aligned letter append it and the count, then reset the count.
    # YOUR CODE HERE
    raise NotImplementedError()
    return "".join(aligned), deletions


def _records(text: str, source: str) -> list[tuple[int, str, str]]:
    """Split a3m text into ``(header line number, description, raw sequence)``."""
    records: list[tuple[int, str, list[str]]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith(">"):
            records.append((number, line[1:], []))
            continue
        if not records:
            raise A3MError(source, number, "sequence line before the first '>' header")
        bad = set(line) - ALIGNED_LETTERS - INSERTION_LETTERS
        if bad:
            column = min(line.index(c) for c in bad) + 1
            raise A3MError(
                source,
                number,
                f"unknown letter {line[column - 1]!r} at column {column}; an a3m row "
                "may hold only letters A-Z (aligned), a-z (insertions) and '-'",
            )
        records[-1][2].append(line)
    return [(number, desc, "".join(parts)) for number, desc, parts in records]


def parse_a3m(text: str, source: str = "<string>") -> A3M:
    """Parse an a3m alignment; the result equals ``alphafold.data.parsers.parse_a3m``.

    Args:
        text: the contents of an a3m file (the query first).
        source: the name used in error messages (``read_a3m`` passes the path).

    Returns:
        The aligned sequences, their deletion matrix and their descriptions.

    Raises:
        A3MError: empty input, no ``>`` header, a sequence line before the first
            header, an unknown letter, an empty query, or rows of unequal aligned
            length.
    """
    records = _records(text, source)
    if not records:
        raise A3MError(source, None, "no '>' header: not an a3m alignment (empty?)")
    sequences, deletion_matrix, descriptions = [], [], []
    for number, description, raw in records:
        aligned, deletions = split_insertions(raw)
        if not sequences and not aligned:
            raise A3MError(source, number, "the query (first sequence) is empty")
        if sequences and len(aligned) != len(sequences[0]):
            raise A3MError(
                source,
                number,
                f"sequence {description!r} has {len(aligned)} aligned columns, the "
                f"query has {len(sequences[0])}",
            )
        sequences.append(aligned)
        deletion_matrix.append(deletions)
        descriptions.append(description)
    return A3M(sequences, deletion_matrix, descriptions)


def read_a3m(path: str | Path) -> A3M:
    """Read and parse an a3m (or single-sequence FASTA) file; see ``parse_a3m``."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")  # a byte-order mark is dropped
    except UnicodeDecodeError as error:
        raise A3MError(str(path), None, f"not a text file ({error})") from None
    return parse_a3m(text, source=str(path))
