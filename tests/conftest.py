"""Shared fixtures. Fidelity tests use the ``haiku`` fixture, which skips with the
install command when DeepMind's model is not installed."""

import os
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(Path(__file__).parent))

if "PYTEST_XDIST_WORKER" in os.environ:
    # One worker per core: a second thread per worker (or per notebook kernel it
    # starts) only makes the workers stall each other.
    os.environ["OMP_NUM_THREADS"] = "1"
    torch.set_num_threads(1)

INSTALL_HINT = "DeepMind's haiku model is not installed: pip install -e '.[crosscheck]'"


@pytest.fixture(scope="session")
def haiku():
    """The helpers of tests/haiku_utils.py; skips when the crosscheck extra is missing."""
    pytest.importorskip("haiku", reason=INSTALL_HINT)
    pytest.importorskip("alphafold.model.modules", reason=INSTALL_HINT)
    import haiku_utils

    return haiku_utils


@pytest.fixture(autouse=True)
def _deterministic():
    torch.manual_seed(0)
    yield


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real ColabFold MSAs beside the checkout (never copied into the project)."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"{SHARED_DATA} not found")
    return SHARED_DATA
