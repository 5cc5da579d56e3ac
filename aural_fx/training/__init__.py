"""Training data for aural-fx models and yours: degradations, recipes and paired data.

``Recipe`` (from a YAML file) turns clean audio into (degraded, clean) pairs;
``make_pairs`` does it for a folder; ``PairedFolder`` loads pairs back, including a user's own
parallel recordings, aligned by cross-correlation.
"""

from .degradations import DEGRADATIONS, Context, Degradation
from .recipe import Recipe, load_recipe, parse_recipe

__all__ = ["DEGRADATIONS", "Context", "Degradation", "Recipe", "load_recipe", "parse_recipe"]
