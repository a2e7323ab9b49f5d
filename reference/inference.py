"""Running the model for real: the device, the precision, and a run that reports on
every recycling pass.

    device = default_device()  # CUDA when present, else the CPU
    model = AlphaFold.from_params(path, precision=default_precision(device))
    out, history = run(model.to(device).eval(), batch)  # a bar, a line per pass

Precision (``AlphaFoldConfig.precision``) applies to the trunk (embedders, extra-MSA
stack, Evoformer); the structure module and the heads always run in float32:

- ``"fp32"``: full float32, the reference numbers;
- ``"tf32"``: float32 tensors whose matrix products run on NVIDIA tensor cores with
  10-bit mantissas (GPUs of compute capability 8.0 and later): faster, a little less
  exact;
- ``"bf16"``: the trunk under bfloat16 autocast (8-bit mantissas; torch keeps a few
  operations such as layer norms in float32): about half the activation memory.
  Use it when memory runs out, and compare with an fp32 run once.

``chunk_size`` (also a config value) runs the attention and transition layers a few
rows at a time: the same numbers with less memory. ``inplace=True`` (a config value,
``low_memory.py``) also adds every pair update in place, a few rows at a time: one
block then needs about twice the pair representation's size beyond its inputs
instead of 9-38 times, and on a CPU it is faster. ``fused_attention=True`` runs the
attention through torch's ``scaled_dot_product_attention``. ``reference.predict``
turns both on and picks the chunk size from ``memory_model.py``.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping

import torch


def default_device() -> torch.device:
    """The first CUDA GPU when there is one, else the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def default_precision(device: torch.device | str) -> str:
    """``"tf32"`` on a GPU with tensor-core float32 (compute capability 8.0+), else
    ``"fp32"``; ``"bf16"`` is never chosen for you (see the module docstring)."""
    device = torch.device(device)
    if device.type == "cuda" and torch.cuda.get_device_capability(device)[0] >= 8:
        return "tf32"
    return "fp32"


def check_precision(precision: str, device: torch.device | str) -> str:
    """``precision`` if this device can run it; a clear error otherwise."""
    device = torch.device(device)
    if (
        precision == "bf16"
        and device.type == "cuda"
        and not torch.cuda.is_bf16_supported()
    ):
        raise ValueError(f"{torch.cuda.get_device_name(device)} has no bfloat16")
    if precision == "tf32" and device.type != "cuda":
        raise ValueError("tf32 is a feature of NVIDIA GPUs: use fp32 on this device")
    return precision


def run(
    model: torch.nn.Module,
    batch: Mapping[str, torch.Tensor],
    num_recycle: int | None = None,
    progress: bool = True,
) -> tuple[dict, list[dict]]:
    """``model(batch, num_recycle)`` with a progress bar over the passes and one
    printed line per pass (both off with ``progress=False``).

    Returns:
        The model's outputs (the last pass's) and the history: per pass its
        ``seconds``, ``plddt`` [N_res] (numpy), ``mean_plddt`` and (for ``_ptm``
        weights) ``ptm``.
    """
    from tqdm.auto import tqdm

    if num_recycle is None:
        num_recycle = model.config.num_recycle
    device = next(model.parameters()).device
    history: list[dict] = []

    def record(_module, _args, heads: dict) -> None:
        plddt = heads["plddt"].detach().float().cpu()
        entry = {"plddt": plddt.numpy(), "mean_plddt": float(plddt.mean())}
        if "ptm" in heads:
            entry["ptm"] = float(heads["ptm"])
        history.append(entry)

    def passes(indices: Iterable[int]) -> Iterator[int]:
        bar = tqdm(indices, desc="recycling", unit="pass", disable=not progress)
        for r in bar:
            start = time.perf_counter()
            yield r  # the model runs pass r now
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            entry = history[-1]
            entry["seconds"] = time.perf_counter() - start
            ptm = f", pTM {entry['ptm']:.3f}" if "ptm" in entry else ""
            if progress:
                bar.write(
                    f"pass {r + 1} of {num_recycle + 1}: {entry['seconds']:.2f} s, "
                    f"mean pLDDT {entry['mean_plddt']:.1f}{ptm}"
                )

    hook = model.heads.register_forward_hook(record)
    try:
        with torch.inference_mode():
            out = model(batch, num_recycle, progress=passes)
    finally:
        hook.remove()
    return out, history
