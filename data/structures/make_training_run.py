"""Record lesson 8's full training run: ``3a4r_A_training_run.npz``.

    python data/structures/make_training_run.py [--steps 1000] [--threads 1]

Trains the lesson's small AlphaFold2 (``reference.training.small_model_config``) on
``3a4r_A.pdb`` from its sequence alone, with the lesson's settings
(``reference.training.lesson_config``), and saves the loss terms of every step,
lDDT-Cα and the Cα positions of every evaluation, and the wall-clock time. The
notebook draws it beside the reader's own run.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch

from reference.model import AlphaFold
from reference.training import TrainingExample, lesson_config, small_model_config, train

HERE = Path(__file__).resolve().parent


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--eval-every", type=int, default=100)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    example = TrainingExample(HERE / "3a4r_A.pdb", lesson_config())
    model = AlphaFold(small_model_config())
    history = train(model, example, args.steps, eval_every=args.eval_every)
    snapshots = history.pop("snapshots")
    arrays = {k: np.asarray(v) for k, v in history.items()}
    arrays["snapshot_ca"] = np.stack(
        [s["final_atom_positions"][:, 1].numpy() for s in snapshots]
    )
    arrays["final_plddt"] = snapshots[-1]["plddt"].numpy()
    arrays["threads"] = np.asarray(args.threads)
    np.savez_compressed(HERE / "3a4r_A_training_run.npz", **arrays)
    print(
        f"{args.steps} steps in {history['seconds'] / 60:.1f} min, "
        f"final lDDT-Cα {history['lddt_ca'][-1]:.3f}"
    )


if __name__ == "__main__":
    main()
