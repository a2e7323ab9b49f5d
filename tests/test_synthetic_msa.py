"""The shipped synthetic MSA: reproducible, valid, and showing conservation and
co-evolution."""

import importlib.util
import math
from pathlib import Path

import pytest
import torch

from reference.a3m import parse_a3m, read_a3m
from reference.features import hhblits_profile, make_msa_features

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(scope="module")
def script():
    path = DATA / "make_synthetic_msa.py"
    spec = importlib.util.spec_from_file_location("make_synthetic_msa", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_shipped_file_is_the_scripts_output(script):
    shipped = (DATA / "inputs" / "synthetic.a3m").read_text()
    assert shipped == script.to_a3m(script.make_msa())
    assert len(shipped) < 50_000


def test_seeded_and_sized(script):
    a = script.to_a3m(script.make_msa(num_res=25, num_seq=50, seed=4))
    assert a == script.to_a3m(script.make_msa(num_res=25, num_seq=50, seed=4))
    assert a != script.to_a3m(script.make_msa(num_res=25, num_seq=50, seed=5))
    a3m = parse_a3m(a)
    assert len(a3m) == 50 and len(a3m.query) == 25


def mutual_information(msa, i, j):
    """MI (nats) of columns i, j over rows with an amino acid at both."""
    ok = (msa[:, i] < 20) & (msa[:, j] < 20)
    joint = torch.zeros(20, 20, dtype=torch.float64)
    ones = torch.ones(int(ok.sum()), dtype=torch.float64)
    joint.index_put_((msa[ok, i], msa[ok, j]), ones, accumulate=True)
    joint /= joint.sum()
    outer = joint.sum(1, keepdim=True) * joint.sum(0, keepdim=True)
    nz = joint > 0
    return float((joint[nz] * (joint[nz] / outer[nz]).log()).sum())


def test_conservation_coevolution_indels(script):
    a3m = read_a3m(DATA / "inputs" / "synthetic.a3m")
    raw = make_msa_features(a3m)
    msa, deletions = raw["msa"], raw["deletion_matrix"]
    assert len(msa) < len(a3m)  # repeats to deduplicate
    assert 0.05 < (msa == 21).double().mean() < 0.3  # gaps
    assert (deletions.sum(1) > 0).double().mean() > 0.2  # insertions
    profile = hhblits_profile(msa, torch.float64)
    entropy = -(profile * profile.clamp(min=1e-9).log()).sum(-1)
    assert entropy.min() < 0.5 < 1.5 < entropy.max()  # conserved and variable columns
    # the coupled columns have the largest MI after the average-product correction
    L = msa.shape[1]
    mi = torch.tensor(
        [[mutual_information(msa, i, j) * (i != j) for j in range(L)] for i in range(L)]
    )
    apc = mi - mi.mean(0, keepdim=True) * mi.mean(1, keepdim=True) / mi.mean()
    apc.fill_diagonal_(-math.inf)
    i, j = sorted(divmod(int(apc.argmax()), L))
    assert {i, j} == set(script.coupled_columns(L))
    assert f"co-evolving columns {i + 1} and {j + 1}" in a3m.descriptions[0]


FASTA = {  # shipped query -> the real MSA it is the query of
    "tautomerase_2op8.fasta": "tautomerase_2op8.a3m",
    "hemoglobin_beta.fasta": "hemoglobin.a3m",
}


@pytest.mark.parametrize(
    "name, length", [("tautomerase_2op8.fasta", 59), ("hemoglobin_beta.fasta", 147)]
)
def test_fasta_inputs(name, length, shared_data):
    a3m = read_a3m(DATA / "inputs" / name)
    assert len(a3m) == 1 and len(a3m.query) == length
    assert a3m.query == read_a3m(shared_data / FASTA[name]).query
