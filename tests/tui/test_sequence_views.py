"""What a sequence run shows: its samples under each printed epoch line (headless) and in a panel under the
Train chart (right answers green, wrong red with the expected answer, a generated line wrapped), also in
Step mode; the Inside tab's attention maps with the prompt's characters and its hidden-state norms."""
from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console
from rich.text import Text
from textual.widgets import Static

from npnn.events import EpochEnded, Finished, StopReason
from npnn.history import History
from presets.events import Answer, SamplesDrawn
from tests.tui.conftest import settle, train_to_the_end, wait_until
from tui.headless import HeadlessPrinter, samples_line
from tui.widgets.samples import SamplesPanel, answers_text, line_text

ROOT = Path(__file__).resolve().parents[2]
SUMS = SamplesDrawn(3, answers=(Answer("123+456=", "0579", "0579"), Answer("045+900=", "0945", "0955")))
LINE = SamplesDrawn(2, prompt="So we\nwatch", text="the cat sat\non the mat")


def _tiny_addition(tmp_path: Path, epochs: int = 2, batch_size: int = 64) -> str:
    """The addition preset on 300 sums: a run takes about a second."""
    text = (ROOT / "presets" / "addition_transformer.toml").read_text()
    text = text.replace("limit = 50000", "limit = 300").replace("epochs = 40", f"epochs = {epochs}")
    path = tmp_path / "tiny_addition.toml"
    path.write_text(text.replace("batch_size = 128", f"batch_size = {batch_size}"))
    return str(path)


def _text(renderable, width: int = 120) -> str:
    console = Console(width=width, record=True, file=io.StringIO())
    console.print(renderable)
    return console.export_text()


def test_headless_prints_the_samples_under_each_printed_epoch_line_and_the_best_weights_after():
    stream, now = io.StringIO(), [0.0]
    printer = HeadlessPrinter(stream, tty=False, clock=lambda: now[0])
    for epoch in (1, 2, 3):
        printer(EpochEnded(epoch, 3, 1.0, 1.0, improved=epoch == 1, seconds=0.01))
        printer(SamplesDrawn(epoch, answers=SUMS.answers))
        now[0] += 0.01  # fast epochs: epoch 2's line (and so its samples) is not printed
    history = History()
    history.best_epoch = 1
    printer(Finished(StopReason.COMPLETED, history))
    printer(SamplesDrawn(1, answers=SUMS.answers, best=True))
    lines = stream.getvalue().splitlines()
    sample = "  sample: 123+456=0579 ✓   045+900=0955 ✗ (0945)"
    assert [line.split(" · ")[0] for line in lines] == ["Epoch 1/3", sample, "Epoch 3/3", sample,
                                                         "  sample, best weights (epoch 1): " + sample[10:]]


def test_a_text_sample_is_its_prompt_and_the_line_with_newlines_shown():
    assert samples_line(LINE) == "  sample: So we⏎watch│the cat sat⏎on the mat"


def test_generated_text_cannot_move_the_cursor_and_wide_characters_are_cut_by_their_cells():
    tricky = SamplesDrawn(1, prompt="a\r\n", text="\x1b[2J\tb")
    assert samples_line(tricky) == "  sample: a␍⏎│␛[2J⇥b"
    assert all(ord(c) >= 32 for c in line_text(tricky, 0).plain)
    wide = line_text(SamplesDrawn(1, prompt="日本", text="テキスト" * 10), 20, max_lines=2)
    assert [Text(line).cell_len for line in wide.plain.splitlines()] == [19, 19] and wide.plain.endswith("…")


def test_the_panel_marks_right_answers_green_and_wrong_ones_red_with_the_expected_answer():
    text = answers_text(SUMS, 0)
    assert text.plain == "epoch 3 · 1/2 right   123+456=0579 ✓   045+900=0955 ✗ 0945"
    styles = {text.plain[span.start:span.end]: str(span.style) for span in text.spans}
    assert styles["123+456=0579 ✓"] == "green" and styles["045+900=0955 ✗ 0945"] == "red"


def test_answers_that_do_not_fit_are_counted_never_cut():
    many = SamplesDrawn(1, answers=SUMS.answers * 3)
    lines = answers_text(many, 44, max_lines=2).plain.splitlines()
    assert len(lines) == 2 and all(len(line) <= 44 for line in lines)
    shown = sum(line.count("✓") + line.count("✗") for line in lines)
    assert lines[-1].endswith(f"+{6 - shown} more") and shown < 6
    assert "best, epoch 1 · 3/6 right" in answers_text(SamplesDrawn(1, answers=SUMS.answers * 3, best=True), 0).plain


def test_a_line_of_text_wraps_at_the_width_and_ends_in_an_ellipsis_when_cut():
    lines = line_text(LINE, 12, max_lines=2).plain.splitlines()
    assert lines == ["epoch 2 · So", " we⏎watch│t…"]
    assert line_text(LINE, 0).plain == "epoch 2 · So we⏎watch│the cat sat⏎on the mat"


async def test_after_an_addition_run_the_panel_marks_answers_and_f6_shows_attention_on_the_prompt(app_for, tmp_path):
    app = app_for("--preset", _tiny_addition(tmp_path, epochs=1))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        panel = app.screen.query_one(SamplesPanel)
        assert panel.display and "Samples: what the model writes" in _text(panel.content)
        await train_to_the_end(pilot)
        samples = app.screen.state.samples
        assert samples is not None and len(samples.answers) == 6
        shown = _text(panel.content, panel.content_size.width)
        first = samples.answers[0]
        assert f"{first.prompt}{first.answer} {'✓' if first.right else '✗ ' + first.expected}" in shown
        assert f"/{len(samples.answers)} right" in shown
        await pilot.press("f6")
        await wait_until(pilot, lambda: app.screen.inside.sequence is not None)
        await pilot.pause(0.05)
        inside = _text(app.screen.query_one("#inside-images", Static).content)
        prompt = "".join(app.screen.inside.sequence.names)
        assert prompt == first.prompt + first.expected[:-1]  # the first held-out sum as the model reads it
        assert f"Attention on “{prompt}”" in inside and "encoder layer 2" in inside
        assert "head 1" in inside and "head 4" in inside and f"   {prompt}" in inside  # keys labelled
        assert f"{prompt[:2]} ▀" in inside  # the first two query positions label the first line
        assert "Hidden-state norms" in inside and "Embedding(12, 64)" in inside


async def test_a_character_model_s_panel_shows_a_generated_line(app_for):
    app = app_for("--preset", "char_lm", "--epochs", "1")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await train_to_the_end(pilot)
        samples = app.screen.state.samples
        assert samples is not None and samples.prompt and len(samples.text) == 80
        panel = app.screen.query_one(SamplesPanel)
        shown = _text(panel.content, panel.content_size.width).replace("\n", "")
        assert shown.startswith(f"epoch 1 · {samples.prompt.replace(chr(10), '⏎')}│") and shown.endswith("…")
        assert panel.size.height == 2  # at 24 rows it takes two lines of the chart's


async def test_step_mode_shows_an_epoch_s_samples_while_paused(app_for, tmp_path):
    """A real transformer run stepped batch by batch to its first epoch end, then stopped (about 4 s)."""
    app = app_for("--preset", _tiny_addition(tmp_path, epochs=2, batch_size=128))  # two batches an epoch
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("f10")
        await wait_until(pilot, lambda: app.screen.state.paused)
        while app.screen.state.samples is None:
            state = app.screen.state
            trained = (state.epoch, state.batch)
            await pilot.press("f10")
            await wait_until(pilot, lambda s=state, t=trained: s.paused and (s.epoch, s.batch) != t, timeout=10)
        assert app.screen.state.samples.epoch == 1 and app.screen.state.paused
        assert "epoch 1 · " in _text(app.screen.query_one(SamplesPanel).content)
        await pilot.press("escape")
        await wait_until(pilot, lambda: not app.screen.state.running)
        await settle(pilot)
        assert app.screen.state.status == "Stopped"


async def test_other_tasks_keep_the_panel_hidden(app_for):
    app = app_for("--preset", "wine_mlp")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert not app.screen.query_one(SamplesPanel).display
