"""Write a small, realistic synthetic MSA for the lessons (``inputs/synthetic.a3m``).

    python data/make_synthetic_msa.py                 # the shipped file (seed 0)
    python data/make_synthetic_msa.py --num-res 60 --num-seq 1000 --seed 3 -o my.a3m

The lessons must run offline and may not ship a real MSA, so this script makes one
that shows what a real one shows, from a documented random process (numpy, seeded):

1. **Query**: ``num_res`` residues drawn from approximate UniProt amino-acid
   frequencies.
2. **Families**: a few subfamily ancestors evolve from the query; every homologue
   evolves from one ancestor. So the MSA has cluster structure, as real ones do.
3. **Substitutions**: each column has a rate (gamma-distributed; a few columns
   almost invariant, i.e. *conserved*); a homologue at divergence ``t`` changes
   column ``j`` with probability ``1 - exp(-rate_j * t)``. A change stays within the
   residue's physico-chemical group (ILVM, FWY, KRH, DE, NQ, ST, AG) with probability
   0.6, else draws from the background frequencies.
4. **Co-evolution**: two columns (``coupled_columns``; a K-E salt bridge in the query)
   never change alone: the pair changes to another charge-complementary pair (E-K, R-D,
   D-R, R-E, K-D), so the two columns are strongly correlated, as contacts are
   (their mutual information, after the average-product correction, ranks first).
5. **Indels**: N-/C-terminal truncation (fragments), internal deletions (``-`` runs),
   and insertions (lower-case letters between columns, which become the deletion
   counts of the next column). A few rows are exact copies of earlier ones (as
   searches return), so deduplication has something to do.

The query's header line names the seed and the co-evolving columns (1-based).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

LETTERS = "ARNDCQEGHILKMFPSTWYV"
# Approximate UniProtKB/Swiss-Prot amino-acid composition (%), AF order.
BACKGROUND = np.array(
    [8.25, 5.53, 4.06, 5.45, 1.37, 3.93, 6.75, 7.07, 2.27, 5.96,
     9.66, 5.84, 2.42, 3.86, 4.70, 6.56, 5.34, 1.08, 2.92, 6.87]
)  # fmt: skip
BACKGROUND = BACKGROUND / BACKGROUND.sum()
GROUPS = ["ILVM", "FWY", "KRH", "DE", "NQ", "ST", "AG"]
PAIR_STATES = [("K", "E"), ("E", "K"), ("R", "D"), ("D", "R"), ("R", "E"), ("K", "D")]
PAIR_RATE = 3.0  # the pair changes often, so its correlation stands out
OUT = Path(__file__).resolve().parent / "inputs" / "synthetic.a3m"


def coupled_columns(num_res: int) -> tuple[int, int]:
    """The 0-based columns of the co-evolving pair: (8, 30) for 40 residues."""
    return num_res // 5, 3 * num_res // 4


def _draw(rng: np.random.Generator) -> str:
    return LETTERS[rng.choice(20, p=BACKGROUND)]


def _substitute(residue: str, rng: np.random.Generator) -> str:
    """A new residue for ``residue``: mostly from its group, else the background."""
    group = next((g for g in GROUPS if residue in g), "")
    if len(group) > 1 and rng.random() < 0.6:
        return rng.choice([r for r in group if r != residue])
    new = _draw(rng)
    return new if new != residue else _draw(rng)


def evolve(
    parent: list[str], t: float, rates: np.ndarray, coupled, rng: np.random.Generator
) -> list[str]:
    """Substitutions at divergence ``t``; the coupled columns change only as a pair."""
    child = list(parent)
    for j, rate in enumerate(rates):
        if j not in coupled and rng.random() < 1 - np.exp(-rate * t):
            child[j] = _substitute(child[j], rng)
    if rng.random() < 1 - np.exp(-PAIR_RATE * t):
        current = (child[coupled[0]], child[coupled[1]])
        states = [s for s in PAIR_STATES if s != current]
        child[coupled[0]], child[coupled[1]] = states[rng.integers(len(states))]
    return child


def add_indels(aligned: list[str], rng: np.random.Generator) -> str:
    """One a3m row: terminal truncation, internal deletions, insertions."""
    row = list(aligned)
    n = len(row)
    # fragments: 30% miss an N-terminal, 30% a C-terminal stretch (< n/3)
    start = rng.integers(1, n // 3) if rng.random() < 0.3 else 0
    end = n - rng.integers(1, n // 3) if rng.random() < 0.3 else n
    row = ["-"] * start + row[start:end] + ["-"] * (n - end)
    for _ in range(rng.poisson(0.6)):  # internal deletions
        at, length = rng.integers(n), rng.integers(1, 5)
        row[at : at + length] = ["-"] * len(row[at : at + length])
    inserts = {}
    for _ in range(rng.poisson(0.7)):  # insertions before columns 1..n-1
        at = int(rng.integers(1, n))
        inserts[at] = "".join(_draw(rng).lower() for _ in range(rng.integers(1, 6)))
    return "".join(inserts.get(j, "") + row[j] for j in range(n))


def make_msa(
    num_res: int = 40, num_seq: int = 300, seed: int = 0, num_families: int = 6
) -> list[tuple[str, str]]:
    """``num_seq`` (description, a3m row) records, the query first."""
    rng = np.random.default_rng(seed)
    coupled = coupled_columns(num_res)
    query = [_draw(rng) for _ in range(num_res)]
    query[coupled[0]], query[coupled[1]] = PAIR_STATES[0]
    rates = rng.gamma(0.7, 1 / 0.7, num_res)
    rates[rng.choice(num_res, max(1, num_res // 8), replace=False)] = 0.02
    families = [evolve(query, rng.uniform(0.2, 0.6), rates, coupled, rng)
                for _ in range(num_families)]  # fmt: skip
    where = f"co-evolving columns {coupled[0] + 1} and {coupled[1] + 1}"
    records = [(f"query synthetic seed {seed}; {where}", "".join(query))]
    while len(records) < num_seq:
        if len(records) > 10 and rng.random() < 0.05:  # an exact repeat
            copy = records[rng.integers(1, len(records))][1]
            records.append((f"syn{len(records):04d} repeat", copy))
            continue
        family = int(rng.integers(num_families))
        t = rng.uniform(0.05, 1.0)
        row = add_indels(evolve(families[family], t, rates, coupled, rng), rng)
        if row.strip("-"):
            records.append((f"syn{len(records):04d} family {family} t={t:.2f}", row))
    return records


def to_a3m(records: list[tuple[str, str]]) -> str:
    return "".join(f">{description}\n{row}\n" for description, row in records)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--num-res", type=int, default=40)
    parser.add_argument("--num-seq", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("-o", "--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    text = to_a3m(make_msa(args.num_res, args.num_seq, args.seed))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(f"wrote {args.out} ({args.num_seq} sequences x {args.num_res} columns)")


if __name__ == "__main__":
    main()
