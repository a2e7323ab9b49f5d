"""The haiku harness itself: noise reaches every array and the flat layout round-trips."""

import numpy as np


def test_noise_makes_every_array_nonconstant(haiku):
    import haiku as hk

    flat, _ = haiku.run_haiku(
        lambda x: hk.LayerNorm(-1, True, True, name="ln")(hk.Linear(7, name="lin")(x)),
        np.ones((3, 5)),
    )
    assert set(flat) == {"lin//w", "lin//b", "ln//scale", "ln//offset"}
    for k, v in flat.items():
        assert v.std() > 0.01, k
    assert haiku.flatten(haiku.unflatten(flat)).keys() == flat.keys()
