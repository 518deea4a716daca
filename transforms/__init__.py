"""SQL transforms: raw Pipedrive tables -> staging views -> readable entity views and marts."""

from transforms.runner import TransformResult, run_transforms

__all__ = ["TransformResult", "run_transforms"]
