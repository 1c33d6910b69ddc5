"""CI generation: hardened, validated GitHub Actions and GitLab CI files from a Report."""

from libs.cigen.generate import PLATFORMS, Generation, UnknownPlatform, generate, is_generated
from libs.cigen.planner import NothingToGenerate
from libs.cigen.rescore import Rescorer, ScoreChange, in_tree_copy
from libs.cigen.validate import Finding, Validation

__all__ = [
    "PLATFORMS",
    "Finding",
    "Generation",
    "NothingToGenerate",
    "Rescorer",
    "ScoreChange",
    "UnknownPlatform",
    "Validation",
    "generate",
    "in_tree_copy",
    "is_generated",
]
