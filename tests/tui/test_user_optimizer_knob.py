"""A new optimizer with one new knob is its npnn class plus one register_optimizer call: the knob is then a CLI
flag, a form field, in --help and docs, a sweep parameter, checked by the schema, hot-editable and replayed."""
from __future__ import annotations

import pytest

from npnn import optim
from presets import PresetError, Run, load_preset
from presets.catalog import OPTIMIZERS, argument, register_optimizer
from presets.control import RunControl
from presets.docs import reference_markdown
from presets.option import Option
from presets.overrides import parse_hot_edit
from presets.settings import lock_note
from presets.sweep import parse_param, searchable
from tui.app import make_app
from tui.options import build_parser, parse_options


class DampedSGD(optim.Optimizer):
    """A made-up optimizer: p -= lr * damping * grad."""

    def __init__(self, params, lr: float = 1e-2, damping: float = 0.5):
        super().__init__(params, dict(lr=lr, damping=damping))

    def _update(self, group):
        for p in group["params"]:
            if p.grad is not None:
                p.data -= group["lr"] * group["damping"] * p.grad


@pytest.fixture
def damped():
    """DampedSGD registered for one test with its knob `damping` (hot-editable), removed afterwards."""
    entry = register_optimizer("damped", DampedSGD, "Damped SGD",
                               argument(Option("damping", float, low=0, high=1, low_open=True,
                                               help="factor on every step"), "Damping", hot=True))
    yield entry
    del OPTIMIZERS["damped"]


PRESET = """
task = "regression"
model = [{ type = "Linear", in_features = "auto", out_features = "auto" }]
[data]
source = "diabetes"
[training]
optimizer = "damped"
epochs = 2
"""


def test_the_knob_is_a_flag_in_help_docs_and_sweeps(damped):
    assert parse_options(["--optimizer", "damped", "--damping", "0.25"]).overrides == {"optimizer": "damped",
                                                                                       "damping": 0.25}
    help_text = " ".join(build_parser().format_help().split())
    assert "--damping F|default factor on every step (damped; default: the optimizer's own)" in help_text
    assert "`--damping F\\|default` | `[training.optimizer_options] damping` | Damping | yes" in reference_markdown()
    assert "damping" in searchable() and parse_param("damping=0.1:0.9").high == 0.9
    with pytest.raises(PresetError, match="damping must be a number > 0 and <= 1"):
        parse_param("damping=0:2")
    assert lock_note("damped") == "Locked while training\nlr, damping, clip norm: Enter edits"


def test_the_knob_is_checked_by_the_schema_and_refused_where_it_does_not_apply(damped, tmp_path):
    path = tmp_path / "p.toml"
    path.write_text(PRESET + "[training.optimizer_options]\ndamping = 2\n")
    with pytest.raises(PresetError, match=r"training\.optimizer_options\.damping must be a number > 0 and <= 1"):
        load_preset(str(path))
    with pytest.raises(PresetError, match="damping: optimizer adam takes no damping; damped does"):
        load_preset("tabular_mlp", {"damping": "0.5"})


def test_a_hot_edit_of_the_knob_is_recorded_and_replayed(damped, tmp_path):
    path = tmp_path / "p.toml"
    path.write_text(PRESET + "[training.optimizer_options]\ndamping = 0.9\n")
    preset = load_preset(str(path))
    control = RunControl(paused=True)
    control.set("damping", parse_hot_edit(preset, "damping", "0.3"))
    control.resume()
    first = Run(preset, out_dir=tmp_path / "runs").execute(control=control)
    assert [(c.name, c.old, c.new) for c in first.history.changes] == [("damping", 0.9, 0.3)]
    again = Run(load_preset(str(first.run_dir / "config.toml")), out_dir=tmp_path / "again").execute()
    assert [(c.epoch, c.batch, c.name, c.new) for c in again.history.changes] == [(1, 1, "damping", 0.3)]
    assert again.history.train_loss == pytest.approx(first.history.train_loss, rel=1e-4)


async def test_the_knob_is_a_form_field_for_its_optimizer_only(damped, tmp_path):
    app = make_app(parse_options(["--optimizer", "damped", "--damping", "0.25", "--out", str(tmp_path)]),
                   steady=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        field = app.screen.query_one("#damping")
        assert field.value == "0.25" and not field.disabled and field.parent.display
        assert app.screen.query_one("#form").overrides()[0]["damping"] == 0.25
        app.screen.query_one("#optimizer").value = "adam"
        await pilot.pause()
        assert field.disabled and not field.parent.display
        await app.workers.wait_for_complete()


def test_an_argument_declared_unlike_another_optimizers_is_refused():
    with pytest.raises(ValueError, match="momentum must be declared as sgd declares it"):
        register_optimizer("loose", DampedSGD, "Loose", Option("momentum", float, low=0))
    assert "loose" not in OPTIMIZERS
