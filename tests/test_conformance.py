"""The conformance suite over every registered effect (as plugin authors run it)."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile

import aural_fx
from aural_fx.testing import check_processor

NEEDS_FILES = {"convolution", "eq_match"}  # need an impulse response / a reference: tested in test_preset, test_eq_match


@pytest.mark.parametrize("name", sorted(set(aural_fx.build_registry().effects) - NEEDS_FILES))
def test_registered_effect_conforms(name):
    check_processor(name)


def test_convolution_conforms(tmp_path):
    rng = np.random.default_rng(2)
    response = (np.exp(-np.arange(3000) / 500) * rng.standard_normal(3000) * 0.2).astype(np.float32)
    path = tmp_path / "room.wav"
    soundfile.write(path, response, 48000, subtype="FLOAT")
    check_processor(lambda: aural_fx.create("convolution", impulse_response_filename=path, mix=0.7))
