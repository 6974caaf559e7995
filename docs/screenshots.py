"""Regenerate the SVG screenshots under docs/screenshots/: each tab of the app at 120x40 after short
seeded runs on built-in data, the model editor, and the Train, Inside and Predictions tabs of the addition
transformer after two epochs.

    python docs/screenshots.py        # writes docs/screenshots/*.svg (run directories go to a temp folder)

The app runs with steady=True (no durations, no cursor blink), as the snapshot tests do.
"""
from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
SIZE = (120, 40)


async def _settle(pilot) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await asyncio.sleep(0.1)
    await pilot.pause()


async def _run_to_end(pilot) -> None:
    await pilot.press("f5")
    while pilot.app.screen.state.running or pilot.app.screen.state.run_id == 0:
        await pilot.pause(0.05)
    await _settle(pilot)


async def _shoot(flags: list[str], keys_before: list[str], tab: str | None, name: str, runs: Path) -> Path:
    from tui.app import make_app
    from tui.options import parse_options

    app = make_app(parse_options(["--out", str(runs), *flags]), steady=True, export_dir=runs)
    async with app.run_test(size=SIZE) as pilot:
        await _settle(pilot)
        for key in keys_before:
            await pilot.press(key)
        await _run_to_end(pilot)
        if tab is not None:
            await pilot.press(tab)
            await _settle(pilot)
        return Path(app.save_screenshot(filename=f"{name}.svg", path=str(OUT)))


async def _editor(runs: Path) -> Path:
    from tui.app import make_app
    from tui.options import parse_options

    app = make_app(parse_options(["--out", str(runs), "--preset", "mnist_cnn"]), steady=True, export_dir=runs)
    async with app.run_test(size=SIZE) as pilot:
        await _settle(pilot)
        await pilot.press("ctrl+l")
        await _settle(pilot)
        return Path(app.save_screenshot(filename="editor.svg", path=str(OUT)))


async def _sequence(runs: Path) -> list[Path]:
    """One addition transformer run, then its Train tab (samples), Inside (attention maps) and Predictions."""
    from tui.app import make_app
    from tui.options import parse_options

    flags = ["--out", str(runs), "--preset", "addition_transformer", "--epochs", "2"]
    app = make_app(parse_options(flags), steady=True, export_dir=runs)
    shots = []
    async with app.run_test(size=SIZE) as pilot:
        await _settle(pilot)
        await _run_to_end(pilot)
        for key, name in (("f2", "train-addition"), ("f6", "inside-attention"), ("f4", "predictions-sequence")):
            await pilot.press(key)
            await _settle(pilot)
            shots.append(Path(app.save_screenshot(filename=f"{name}.svg", path=str(OUT))))
    return shots


async def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        runs = Path(folder) / "runs"
        shots = [
            await _shoot(["--epochs", "60", "--seed", "3"], [], None, "train", runs),
            await _shoot(["--preset", "mnist_cnn", "--epochs", "6"], ["f6"], None, "inside", runs),
            await _shoot(["--preset", "mnist_cnn", "--epochs", "6"], [], "f4", "predictions-classification", runs),
            await _shoot(["--epochs", "60", "--seed", "3"], [], "f4", "predictions-regression", runs),
            await _shoot(["--preset", "wine_mlp", "--epochs", "20"], [], "f3", "runs", runs),
            await _editor(runs),
            *await _sequence(runs),
        ]
    for shot in shots:
        sys.stdout.write(f"{shot.relative_to(ROOT)}\n")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    asyncio.run(main())
