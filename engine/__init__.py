"""NeuroLoom's engine: experiment files, layer graph, shapes and compiled PyTorch models.

The engine never imports Streamlit; the page reaches it through this package's functions.
"""

from engine.compile import build_model
from engine.errors import Problem, SpecError
from engine.experiment import Experiment, load_experiment
from engine.shapes import Analysis, Limits, analyze

__all__ = [
    "Analysis",
    "Experiment",
    "Limits",
    "Problem",
    "SpecError",
    "analyze",
    "build_model",
    "load_experiment",
]
