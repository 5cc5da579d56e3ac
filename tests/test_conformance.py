"""The conformance suite over every registered effect (as plugin authors run it)."""

from __future__ import annotations

import pytest

import aural_fx
from aural_fx.testing import check_processor

NEEDS_FILES = {"convolution"}  # needs an impulse-response file: covered in test_preset


@pytest.mark.parametrize("name", sorted(set(aural_fx.build_registry().effects) - NEEDS_FILES))
def test_registered_effect_conforms(name):
    check_processor(name)
