"""Training AlphaFold2: what changes from inference; a loop that overfits one protein.

Training differs from inference in four ways (SI §1.11):
- dropout, with masks shared along the rows or the columns of a representation
  (SI Alg. 6: ``DropoutRowwise``, ``DropoutColumnwise``), and in the structure module;
- a random number of recycling passes, with gradients through the last one only
  (SI §1.10, Alg. 31 "RecyclingTraining");
- fresh random inputs each step: the BERT masks of the MSA (SI §1.2.7) and the choice
  of clamped or unclamped FAPE (SI §1.11.5);
- an optimiser: Adam, a learning-rate warm-up, gradients clipped by their global
  norm (SI §1.11.3).

Dropout reaches the trunk's and structure module's layers through forward hooks
(``training_mode``), so the model's code is the inference code, unchanged.
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from .config import AlphaFoldConfig, LossConfig
from .evoformer import EvoformerBlock
from .ground_truth import make_ground_truth, read_pdb_chain
from .lddt import lddt
from .losses import total_loss

# SI Alg. 6 (and Alg. 18): which updates of an Evoformer block get dropout, its rate,
# and the dimension along which one mask is shared ([*, N_rows, N_cols, c]: -3 shares
# a mask across the rows, "DropoutRowwise"; -2 across the columns).
EVOFORMER_DROPOUT = {
    "msa_row_attention_with_pair_bias": (0.15, -3),
    "triangle_multiplication_outgoing": (0.25, -3),
    "triangle_multiplication_incoming": (0.25, -3),
    "triangle_attention_starting_node": (0.25, -3),
    "triangle_attention_ending_node": (0.25, -2),
}
STRUCTURE_MODULE_DROPOUT = 0.1  # SI Alg. 20, lines 7 and 9


def shared_dropout(
    x: torch.Tensor,
    rate: float,
    shared_dim: int | None,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Dropout whose mask is shared along one dimension (SI §1.11.6, Alg. 6).

    Args:
        x: [*, N_rows, N_cols, c] (or any shape) the update to drop out.
        rate: the probability of zeroing an entry.
        shared_dim: the dimension of size 1 in the mask (one mask for all its
            entries), e.g. -3 for ``DropoutRowwise``; ``None``: an independent mask.
        generator: the source of randomness (``torch.rand`` of the mask's shape).

    Returns:
        x * mask / (1 - rate), same shape as x.
    """
    shape = list(x.shape)
    if shared_dim is not None:
        shape[shared_dim] = 1
    # Keep each mask entry with probability 1 - rate: draw u ~ U[0, 1) of the mask's
    # shape with torch.rand(shape, generator=..., dtype=x.dtype) and keep u < 1 - rate.
    # Then scale by 1 / (1 - rate) so that the expected value is x.
    # out: same shape as x
    # YOUR CODE HERE
    raise NotImplementedError()
    return out


@contextlib.contextmanager
def training_mode(model: nn.Module, generator: torch.Generator | None = None):
    """Dropout in every Evoformer (and extra-MSA) block and in the structure module,
    as AF2 trains, while inside. Outside, the model is the inference model."""
    handles = []

    def drop(rate, dim):
        return lambda module, args, out: shared_dropout(out, rate, dim, generator)

    for block in model.modules():
        if isinstance(block, EvoformerBlock):
            for name, (rate, dim) in EVOFORMER_DROPOUT.items():
                hook = drop(rate, dim)
                handles.append(getattr(block, name).register_forward_hook(hook))
    sm = getattr(model, "structure_module", None)
    if sm is not None:
        # AF2 drops out the sum s + update, just before the LayerNorm.
        def before_norm(module, args):
            return (shared_dropout(args[0], STRUCTURE_MODULE_DROPOUT, None, generator),)

        for norm in (sm.layer_norm_ipa, sm.transition.layer_norm):
            handles.append(norm.register_forward_pre_hook(before_norm))
    try:
        yield model
    finally:
        for handle in handles:
            handle.remove()


def forward_pass_with_structure(model, batch: dict, prev: dict | None) -> dict:
    """``model.forward_pass``, plus ``structure_module``: the structure module's own
    outputs (every layer's frames and angles), which the losses need and inference
    drops."""
    captured = {}
    handle = model.structure_module.register_forward_hook(
        lambda module, args, out: captured.update(out)
    )
    try:
        out = model.forward_pass(batch, prev)
    finally:
        handle.remove()
    out["structure_module"] = captured
    return out


def recycle(model, batch: dict, num_passes: int) -> dict:
    """SI Algorithm 31 "RecyclingTraining": the passes of one training step.

    Args:
        model: an ``AlphaFold`` (``forward_pass``, ``pass_features``).
        batch: the features of every pass (a leading pass dimension).
        num_passes: the number of passes, drawn at random by the caller.

    Returns:
        The last pass's outputs (``forward_pass_with_structure``).
    """
    # SI Alg. 31: the first num_passes - 1 passes without gradient (torch.no_grad),
    # each reading its own slice of the features, model.pass_features(batch, r,
    # num_passes), and the previous pass's out["prev"]. prev: dict or None
    # YOUR CODE HERE
    raise NotImplementedError()

    # SI Alg. 31: the last pass, with gradient. out: dict
    # YOUR CODE HERE
    raise NotImplementedError()
    return out


def clip_by_global_norm(
    grads: list[torch.Tensor], max_norm: float
) -> list[torch.Tensor]:
    """Gradients scaled down together when their global norm exceeds ``max_norm``.

    SI §1.11.3: AF2 clips by the global norm, 0.1. The global norm is the norm of
    all gradients as one vector; clipping keeps their direction.

    Args:
        grads: the gradients of every parameter (any shapes).
        max_norm: the largest global norm let through.

    Returns:
        The gradients, each times min(1, max_norm / global norm).
    """
    # norm: [] the global norm sqrt(sum over all tensors of sum g²)
    # YOUR CODE HERE
    raise NotImplementedError()
    # Hint: AF2 guards the division with max(norm, max_norm)
    # YOUR CODE HERE
    raise NotImplementedError()
    return clipped


@dataclass(frozen=True)
class TrainingConfig:
    """The optimiser and loop settings: SI §1.11.3 and the values of this lesson."""

    learning_rate: float = 1e-3  # SI §1.11.3: Adam, 1e-3
    betas: tuple = (0.9, 0.999)  # SI §1.11.3: beta1 = 0.9, beta2 = 0.999
    adam_eps: float = 1e-6  # SI §1.11.3: epsilon = 1e-6
    warmup_steps: int = 1000  # SI §1.11.3: linear warm-up over 1,000 steps
    clip_norm: float = 0.1  # SI §1.11.3: global-norm clipping at 0.1
    num_passes: int = 4  # SI §1.10: N_cycle = 4 (1 to 4 passes in training)
    dropout: bool = True  # SI §1.11.6
    max_msa_clusters: int = 512  # SI §1.2.7
    max_extra_msa: int = 1024  # SI Table 5
    seed: int = 0


def lesson_config(**overrides) -> TrainingConfig:
    """The settings of this lesson's experiment: SI §1.11.3 scaled down (a 50-step
    warm-up, a learning rate of 2e-3), 1 or 2 recycling passes, the sequence alone as
    the MSA, and no dropout: the run memorises one protein, and dropout, which helps
    AF2 generalise, only slows that down."""
    config = TrainingConfig(
        learning_rate=2e-3,
        warmup_steps=50,
        num_passes=2,
        dropout=False,
        max_msa_clusters=1,
        max_extra_msa=1,
    )
    return dataclasses.replace(config, **overrides)


def learning_rate(step: int, config: TrainingConfig) -> float:
    """The learning rate at ``step`` (0-based): a linear warm-up, then constant (the
    SI's later decay by 0.95 after 50,000 steps is far beyond this lesson)."""
    return config.learning_rate * min(1.0, (step + 1) / config.warmup_steps)


def small_model_config(**overrides) -> AlphaFoldConfig:
    """The small AlphaFold2 of this lesson's experiment: AF2's architecture with few
    blocks and narrow channels, for one protein on a CPU, from its sequence alone."""
    cfg = AlphaFoldConfig(
        c_m=32,
        c_z=32,
        c_s=64,
        c_e=8,
        N_extra_block=0,
        c_extra_att=4,
        N_head_extra=2,
        N_evoformer_block=2,
        c_msa_att=8,
        N_head_msa=4,
        c_opm=8,
        c_tri_mul=16,
        c_tri_att=8,
        N_head_tri=2,
        transition_n=2,
        N_structure_layer=8,
        c_ipa=8,
        N_head_ipa=4,
        N_query_points=4,
        N_point_values=4,
        c_resnet=32,
        c_plddt=32,
        num_recycle=3,
        max_msa_clusters=1,
        max_extra_msa=1,
    )
    return cfg.replace(**overrides)


class TrainingExample:
    """One protein to learn: its features (made afresh for every step, from the
    sequence alone) and its ground truth (from a PDB file)."""

    def __init__(
        self, pdb_path, config: TrainingConfig, dtype=torch.float32, device="cpu"
    ):
        from .a3m import parse_a3m

        structure = read_pdb_chain(pdb_path)
        self.sequence = structure["sequence"]
        self.a3m = parse_a3m(f">query\n{self.sequence}\n")
        self.config, self.dtype, self.device = config, dtype, torch.device(device)
        self.structure = structure
        self.truth = {
            k: (v.to(dtype) if v.is_floating_point() else v).to(self.device)
            for k, v in make_ground_truth(
                structure["aatype"],
                structure["atom37_positions"],
                structure["atom37_mask"],
            ).items()
        }

    def features(self, generator: torch.Generator) -> dict[str, torch.Tensor]:
        """Every pass's features with fresh BERT masks (lesson 1's pipeline)."""
        from .features import build_features

        c = self.config
        features = build_features(
            self.a3m,
            num_recycle=c.num_passes - 1,
            max_msa_clusters=c.max_msa_clusters,
            max_extra_msa=c.max_extra_msa,
            generator=generator,
            dtype=self.dtype,
            training=True,
        )
        return {k: v.to(self.device) for k, v in features.items()}


def train_step(
    model,
    optimizer: torch.optim.Optimizer,
    example: TrainingExample,
    step: int,
    generator: torch.Generator,
    loss_config: LossConfig | None = None,
) -> dict[str, float]:
    """One step: sample the inputs, run the passes, the losses, clip, update."""
    c, loss_config = example.config, loss_config or LossConfig()
    batch = example.features(generator)
    # SI §1.10: N' ~ Uniform{1, ..., N_cycle}; SI §1.11.5: clamped FAPE 90% of steps.
    num_passes = int(torch.randint(1, c.num_passes + 1, (), generator=generator))
    clamped = float(
        torch.rand((), generator=generator) < loss_config.clamped_fape_fraction
    )
    dropout = training_mode(model, generator) if c.dropout else contextlib.nullcontext()
    with dropout:
        out = recycle(model, batch, num_passes)
    last = num_passes - 1
    losses = total_loss(
        out["structure_module"],
        out,
        example.truth,
        batch["true_msa"][last],
        batch["bert_mask"][last],
        clamped,
        loss_config,
    )
    optimizer.zero_grad()
    losses["loss"].backward()
    params = [p for p in model.parameters() if p.grad is not None]
    with torch.no_grad():
        for p, g in zip(
            params, clip_by_global_norm([p.grad for p in params], c.clip_norm)
        ):
            p.grad.copy_(g)
    for group in optimizer.param_groups:
        group["lr"] = learning_rate(step, c)
    optimizer.step()
    terms = {k: float(v.detach()) for k, v in losses.items()}
    return terms | {"num_passes": num_passes}


@torch.no_grad()
def evaluate(model, example: TrainingExample, generator: torch.Generator) -> dict:
    """Inference (no dropout, all passes): the final atoms and their lDDT-Cα."""
    batch = example.features(generator)
    out = model(batch, num_recycle=example.config.num_passes - 1)
    ca = out["final_atom_positions"][:, 1]
    truth = example.truth
    score = lddt(ca, truth["ca_positions"], truth["ca_mask"], per_residue=False)
    return {
        "lddt_ca": float(score),
        "plddt": out["plddt"].detach(),
        "final_atom_positions": out["final_atom_positions"].detach(),
        "final_atom_mask": out["final_atom_mask"].detach(),
    }


def train(
    model,
    example: TrainingExample,
    steps: int,
    eval_every: int = 50,
    log: Callable[[str], None] | None = print,
) -> dict:
    """Overfit ``model`` to ``example`` for ``steps`` steps.

    Returns a history: ``step`` and the loss terms of every step, ``eval_step``,
    ``lddt_ca`` and ``snapshots`` (final atoms) every ``eval_every`` steps and at the
    end, ``seconds`` in all.
    """
    c = example.config
    generator = torch.Generator().manual_seed(c.seed)
    optimizer = torch.optim.Adam(
        model.parameters(), lr=c.learning_rate, betas=c.betas, eps=c.adam_eps
    )
    history: dict[str, list] = {
        "step": [],
        "eval_step": [],
        "lddt_ca": [],
        "snapshots": [],
    }
    start = time.perf_counter()

    def checkpoint(step):
        result = evaluate(model, example, torch.Generator().manual_seed(c.seed))
        history["eval_step"].append(step)
        history["lddt_ca"].append(result["lddt_ca"])
        history["snapshots"].append(result)
        if log:
            loss = f"{history['loss'][-1]:7.3f}" if history.get("loss") else "      -"
            log(
                f"step {step:5d}  loss {loss}  lDDT-Cα {result['lddt_ca']:.3f}  "
                f"({time.perf_counter() - start:.0f} s)"
            )

    checkpoint(0)
    for step in range(steps):
        model.train()
        terms = train_step(model, optimizer, example, step, generator)
        model.eval()
        history["step"].append(step + 1)
        for k, v in terms.items():
            history.setdefault(k, []).append(v)
        if (step + 1) % eval_every == 0 or step + 1 == steps:
            checkpoint(step + 1)
    history["seconds"] = time.perf_counter() - start
    return history
