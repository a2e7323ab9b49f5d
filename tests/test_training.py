"""Lesson 8's machinery: ground truth from a PDB file, gradient-checked losses,
training-mode dropout, and a few training steps that lower the loss."""

from __future__ import annotations

import pytest
import torch

from reference.config import LossConfig, tiny_config
from reference.ground_truth import read_pdb_chain
from reference.losses import total_loss
from reference.model import AlphaFold
from reference.training import (
    TrainingConfig,
    TrainingExample,
    recycle,
    shared_dropout,
    train_step,
    training_mode,
)

PDB = "data/structures/3a4r_A.pdb"


def test_read_pdb_chain(tmp_path):
    s = read_pdb_chain(PDB)
    assert s["sequence"].startswith("GPLGSQEL") and len(s["sequence"]) == 79
    assert s["atom37_mask"].sum() == 609  # every heavy atom of the file
    with pytest.raises(ValueError, match="no ATOM records"):
        read_pdb_chain("HEADER\nEND\n")
    with pytest.raises(ValueError, match="chain 'Z'"):
        read_pdb_chain(PDB, chain="Z")


def test_shared_dropout_shares_its_mask_and_keeps_the_mean():
    g = torch.Generator().manual_seed(0)
    x = torch.ones(50, 40, 8, dtype=torch.float64)
    rows = shared_dropout(x, 0.25, -3, g)
    assert torch.equal(rows, rows[:1].expand_as(rows))  # the same for every row
    cols = shared_dropout(x, 0.25, -2, g)
    assert torch.equal(cols, cols[:, :1].expand_as(cols))
    free = shared_dropout(torch.ones(200, 200, dtype=torch.float64), 0.25, None, g)
    assert abs(float(free.mean()) - 1) < 0.02
    assert set(free.unique().tolist()) == {0.0, 4 / 3}


@pytest.fixture(scope="module")
def tiny_model():
    torch.manual_seed(0)
    return AlphaFold(tiny_config(ptm=False, N_extra_block=0)).double()


@pytest.fixture(scope="module")
def example():
    config = TrainingConfig(
        num_passes=2, max_msa_clusters=1, max_extra_msa=1, warmup_steps=1, dropout=False
    )
    return TrainingExample(PDB, config, dtype=torch.float64)


def test_training_mode_drops_out_and_leaves_no_trace(tiny_model, example):
    batch = tiny_model.pass_features(
        example.features(torch.Generator().manual_seed(1)), 0, 2
    )
    with torch.no_grad():
        before = tiny_model.forward_pass(batch)["final_atom_positions"]
        with training_mode(tiny_model, torch.Generator().manual_seed(2)):
            dropped = tiny_model.forward_pass(batch)["final_atom_positions"]
        after = tiny_model.forward_pass(batch)["final_atom_positions"]
    assert torch.equal(before, after)
    assert not torch.allclose(before, dropped)


def test_recycle_trains_the_last_pass_only(tiny_model, example):
    batch = example.features(torch.Generator().manual_seed(3))
    out = recycle(tiny_model, batch, 2)
    sm = out["structure_module"]
    assert sm["frames"].requires_grad and sm["frames"].shape[0] == 3  # N_layer
    assert not out["prev"]["prev_pair"].requires_grad


def _fixed_loss(model, example) -> float:
    """The total loss of one fixed input (1 pass, no dropout, fixed BERT masks)."""
    batch = example.features(torch.Generator().manual_seed(7))
    with torch.no_grad():
        out = recycle(model, batch, 1)
        losses = total_loss(
            out["structure_module"],
            out,
            example.truth,
            batch["true_msa"][0],
            batch["bert_mask"][0],
            1.0,
            LossConfig(),
        )
    return float(losses["loss"])


def test_a_few_steps_lower_the_loss(example):
    torch.manual_seed(0)
    model = AlphaFold(tiny_config(ptm=False, N_extra_block=0)).double()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    generator = torch.Generator().manual_seed(0)
    start = _fixed_loss(model, example)
    for step in range(4):
        terms = train_step(model, optimizer, example, step, generator)
        assert all(torch.isfinite(torch.tensor(v)) for v in terms.values())
    assert _fixed_loss(model, example) < start
