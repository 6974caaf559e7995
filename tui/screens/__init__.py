"""The app's screens."""
from tui.screens.trainer import TrainerScreen

__all__ = ["TrainerScreen"]
