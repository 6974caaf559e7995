"""The app's own commands in the command palette (ctrl+p), beside Textual's (theme, keys, quit...).

Each is an action the trainer screen already has, so a command and its key can never disagree.
"""
from __future__ import annotations

from collections.abc import Iterable

from textual.app import SystemCommand
from textual.widgets import Select

# (title, help, trainer action, the key that does the same)
ACTIONS = (
    ("Start run", "Train the selected preset with the form's settings; continue a paused run", "start", "F5"),
    ("Step one batch", "Train exactly one batch, then pause (Step mode)", "step", "F10"),
    ("Stop run", "Stop after the current batch; best weights kept, run directory written", "stop", "Esc"),
    ("Save model", "Write the last run's best weights as <run>-model.npz", "save_model", "ctrl+s"),
    ("Export history", "Write the last run's history as <run>-history.csv", "export_history", "ctrl+e"),
    ("Open data…", "Pick a CSV and its target column, MNIST files, or built-in data", "open_data", "ctrl+o"),
    ("Chart: log scale", "Toggle the Train chart's y axis between linear and log10", "toggle_log", "l"),
    ("Chart: accuracy", "Toggle the Train chart between loss and val accuracy (classification)", "toggle_accuracy",
     "a"),
    ("Chart: batch points", "Show each reported batch's loss between the Train chart's epoch marks",
     "toggle_batches", "b"),
    ("Chart: smoothing", "The Train chart's smoothing weight: 0, 0.6, 0.9, 0.99 (TensorBoard's)", "next_smoothing",
     "s"),
    ("Find learning rate…", "The LR range test on the form's model and data; Enter puts the suggestion in the form",
     "find_lr", "ctrl+f"),
    ("Verdict and next step", "What the latest run's history says so far, and what to try next", "advice", "v"),
    ("Edit model…", "Add, remove, move and resize layers, checked against the data as you type", "edit_model",
     "ctrl+l"),
)
# the same for the model editor (tui.screens.model_editor), while it is open
EDITOR_ACTIONS = (
    ("Add layer", "Pick a layer type; it goes after the selected layer", "add_layer", "a"),
    ("Remove layer", "Remove the selected layer", "remove_layer", "x"),
    ("BatchNorm on/off", "Put a BatchNorm after the selected Linear or Conv2d, or take it away", "batch_norm", "b"),
    ("Apply model", "Train the edited model in the next runs (refused while it is invalid)", "apply", "ctrl+a"),
    ("Save model as preset", "Write the preset with the edited model to the presets folder (--presets-dir)",
     "save_preset", "ctrl+s"),
)
TABS = (("Train", "train", "F2"), ("Runs", "runs", "F3"), ("Predictions", "predictions", "F4"),
        ("Inside", "inside", "F6"))


def trainer_commands(screen) -> Iterable[SystemCommand]:
    """The palette entries for a TrainerScreen: its actions (but those its footer hides, as the accuracy
    chart for regression), one per tab, and one per preset."""
    for title, help_text, action, key in ACTIONS:
        if screen.check_action(action, ()) is False:
            continue
        yield SystemCommand(title, f"{help_text} ({key})", getattr(screen, f"action_{action}"))
    for title, tab, key in TABS:
        yield SystemCommand(f"Show {title} tab", f"Switch to the {title} tab ({key})",
                            lambda tab=tab: screen.action_show_tab(tab))
    for title, name in screen.preset_choices:
        yield SystemCommand(f"Switch preset: {title}", f"Load the {name} preset into the form",
                            lambda name=name: _select_preset(screen, name))


def editor_commands(screen) -> Iterable[SystemCommand]:
    """The palette entries for a ModelEditor: its actions, moving the selected layer included."""
    for title, help_text, action, key in EDITOR_ACTIONS:
        yield SystemCommand(title, f"{help_text} ({key})", getattr(screen, f"action_{action}"))
    for title, step, key in (("Move layer up", -1, "shift+up"), ("Move layer down", 1, "shift+down")):
        yield SystemCommand(title, f"Move the selected layer one place ({key})",
                            lambda step=step: screen.action_move_layer(step))


def _select_preset(screen, name: str) -> None:
    if screen.state.running:
        screen.notify("The preset cannot change while a run trains", severity="warning")
        return
    screen.query_one("#preset", Select).value = name
