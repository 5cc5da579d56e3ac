"""Batch processing: a whole library of files through one preset, on every core of this
machine or on a Ray cluster, recorded in a manifest so that it can resume.

    from aural_fx.batch import run_batch
    result = run_batch("presets/denoise.yaml", ["archive/"], "cleaned/", jobs=4)
    print(result.done, result.failed, result.manifest)
"""

from .inputs import BatchItem, OutputCollision, find_inputs, output_paths
from .manifest import MANIFEST_NAME, FileRecord, ManifestError, read_manifest
from .runner import ENGINES, BatchProgress, BatchResult, default_jobs, run_batch

__all__ = [
    "BatchItem",
    "BatchProgress",
    "BatchResult",
    "ENGINES",
    "FileRecord",
    "MANIFEST_NAME",
    "ManifestError",
    "OutputCollision",
    "default_jobs",
    "find_inputs",
    "output_paths",
    "read_manifest",
    "run_batch",
]
