"""a3m parsing: equal to AF2's parser, clear errors, nothing lost."""

import string

import pytest

from reference.a3m import A3M, A3MError, parse_a3m, read_a3m, split_insertions

REAL_MSAS = ["tautomerase_2op8.a3m", "hemoglobin.a3m"]


def af2_parse(text):
    """AF2's parser; it does not accept '#' comment lines, so they are removed first."""
    parsers = pytest.importorskip("alphafold.data.parsers")
    lines = [line for line in text.splitlines() if not line.startswith("#")]
    return parsers.parse_a3m("\n".join(lines))


@pytest.mark.parametrize(
    "row, aligned, deletions",
    [
        ("AbcD-eF", "AD-F", [0, 2, 0, 1]),
        ("ABC", "ABC", [0, 0, 0]),
        ("xxA", "A", [2]),
        ("A-xyz", "A-", [0, 0]),  # trailing insertions are dropped
        ("--", "--", [0, 0]),
        ("", "", []),
    ],
)
def test_split_insertions(row, aligned, deletions):
    assert split_insertions(row) == (aligned, deletions)


HAND_MADE = """#5\t1
>query description
ACDEF
>hit1  with spaces
AC-aEF

>hit2
aaACDxEFyy
>hit3
A
CDEF
"""


def test_hand_made_alignment():
    a3m = parse_a3m(HAND_MADE)
    assert a3m.sequences == ["ACDEF", "AC-EF", "ACDEF", "ACDEF"]
    assert a3m.deletion_matrix == [
        [0, 0, 0, 0, 0],
        [0, 0, 0, 1, 0],
        [2, 0, 0, 1, 0],
        [0, 0, 0, 0, 0],
    ]
    assert a3m.descriptions == [
        "query description",
        "hit1  with spaces",
        "hit2",
        "hit3",
    ]
    assert a3m.query == "ACDEF" and len(a3m) == 4


def test_hand_made_equals_af2():
    ours, theirs = parse_a3m(HAND_MADE), af2_parse(HAND_MADE)
    assert ours.sequences == list(theirs.sequences)
    assert ours.deletion_matrix == list(theirs.deletion_matrix)
    assert ours.descriptions == list(theirs.descriptions)


def test_single_sequence_fasta():
    assert parse_a3m(">q\nMKV\n").deletion_matrix == [[0, 0, 0]]


def test_windows_line_ends_and_comments_anywhere():
    a3m = parse_a3m("#L 1\r\n>q\r\nMKV\r\n# note\r\n>h\r\nMkKV\r\n")
    assert a3m.sequences == ["MKV", "MKV"] and a3m.deletion_matrix[1] == [0, 1, 0]


@pytest.fixture(scope="module")
def real(shared_data):
    """(text, ours, AF2's) for both real MSAs, parsed once per module."""
    out = {}
    for name in REAL_MSAS:
        text = (shared_data / name).read_text()
        out[name] = (text, read_a3m(shared_data / name), af2_parse(text))
    return out


@pytest.mark.parametrize("name", REAL_MSAS)
def test_real_msa_equals_af2(real, name):
    _, ours, theirs = real[name]
    assert ours.sequences == list(theirs.sequences)
    assert ours.deletion_matrix == list(theirs.deletion_matrix)
    assert ours.descriptions == list(theirs.descriptions)


@pytest.mark.parametrize("name", REAL_MSAS)
def test_real_msa_loses_no_letter(real, name):
    """Every letter of the file is an aligned column, a counted insertion, or a
    trailing insertion (which AF2 drops too)."""
    text, ours, _ = real[name]
    rows, row = [], []
    for line in text.splitlines():
        if line.startswith(">"):
            row = []
            rows.append(row)
        elif not line.startswith("#"):
            row.append(line.strip())
    letters = sum(len(line) for r in rows for line in r)
    joined = ["".join(r) for r in rows]
    trailing = sum(len(r) - len(r.rstrip(string.ascii_lowercase)) for r in joined)
    kept = sum(len(s) for s in ours.sequences) + sum(map(sum, ours.deletion_matrix))
    assert kept + trailing == letters
    assert len(ours) == text.count("\n>") + text.startswith(">")


@pytest.mark.parametrize(
    "text, line, words",
    [
        ("", None, "no '>' header"),
        ("#59\t1\n\n", None, "no '>' header"),
        ("ACDE\n", 1, "before the first '>'"),
        ("#L 1\nACDE\n>q\nACDE\n", 2, "before the first '>'"),
        (">q\nACDE\n>h\nAC1E\n", 4, "unknown letter '1' at column 3"),
        (">q\nACDE\n>h\nAC.E\n", 4, "unknown letter '.'"),
        (">q\nACDE*\n", 2, "unknown letter '*'"),
        (">q\nAC DE\n", 2, "unknown letter ' '"),
        (">q\nACDE\n>h1\nACDE\n>h2\nACaD\n", 5, "3 aligned columns, the query has 4"),
        (">q\nACDE\n>h1\nACDEF\n", 3, "5 aligned columns"),
        (">q\nACDE\n>empty\n>h\nACDE\n", 3, "0 aligned columns"),
        (">q\n>h\nACDE\n", 1, "query (first sequence) is empty"),
        (">q\nacde\n", 1, "query (first sequence) is empty"),
    ],
)
def test_bad_input_names_source_and_line(text, line, words):
    with pytest.raises(A3MError) as error:
        parse_a3m(text, source="msa.a3m")
    message = str(error.value)
    where = "msa.a3m" if line is None else f"msa.a3m, line {line}:"
    assert message.startswith(where) and words in message, message
    assert error.value.line == line
    assert isinstance(error.value, ValueError)


def test_read_a3m_names_the_path(tmp_path):
    path = tmp_path / "broken.a3m"
    path.write_text(">q\nACDE\n>h\nACD\n")
    with pytest.raises(A3MError, match=r"broken\.a3m, line 3"):
        read_a3m(path)
    path.write_bytes(b"\xff\xfe\x00binary")
    with pytest.raises(A3MError, match="not a text file"):
        read_a3m(path)


def test_read_a3m_drops_a_byte_order_mark(tmp_path):
    path = tmp_path / "bom.a3m"
    path.write_bytes(b"\xef\xbb\xbf>q\nACDE\n")
    assert read_a3m(path).sequences == ["ACDE"]


def test_returns_a3m_dataclass():
    assert isinstance(parse_a3m(">q\nA\n"), A3M)
