"""Time to accuracy of the addition transformer: npnn's preset run against PyTorch on the same recipe.

`python -m benchmarks.addition_time --rounds 1` runs, each in a fresh process, the preset
`addition_transformer` as `npnn-tui --headless` runs it (presets.Run: data, model, AdamW, clipping, early
stopping, validation each epoch) and the same recipe written in PyTorch (the same generated sums and
split, the same layers, AdamW with torch's defaults and the preset's lr, the same clipping, batch size and
epoch budget, its default threads). Each records the wall time from the first batch to the end of each
epoch with the validation exact match (the share of held-out sums answered in full), and at the end the
test split's exact match. Reports the time to reach --goal (default 0.99) validation exact match.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

from benchmarks.machine import load_average
from benchmarks.runner import ROOT

PRESET = "addition_transformer"


def _preset(epochs: int, limit: int | None):
    from presets import load_preset

    preset = load_preset(PRESET, {"epochs": epochs})
    if limit is not None:
        preset.data.limit = limit
    return preset


def npnn_child(epochs: int, goal: float, limit: int | None) -> dict:
    import tempfile

    import npnn
    from npnn.events import EpochEnded
    from presets.events import RunStarted
    from presets.run import Run

    curve: list = []
    clock: dict = {}

    def record(event):
        if isinstance(event, RunStarted):
            clock["start"] = time.perf_counter()
        elif isinstance(event, EpochEnded):
            curve.append((time.perf_counter() - clock["start"], event.metrics["exact_match"]))

    npnn.tune_malloc()  # NOTE: as npnn-tui does; `import npnn` alone leaves the allocator as it is
    with tempfile.TemporaryDirectory() as out:
        run = Run(_preset(epochs, limit), out_dir=out)
        result = run.execute([record], should_stop=lambda: bool(curve) and curve[-1][1] >= goal)
    return {"curve": curve, "test_exact_match": result.after["test"]["exact_match"]}


def torch_child(epochs: int, goal: float, limit: int | None) -> dict:
    import numpy as np
    import torch

    from presets.sequence.data import IGNORE, addition

    preset = _preset(epochs, limit)
    spec, layers = preset.data, {layer["type"]: layer for layer in preset.model}
    sums = addition(spec.limit, spec.test_size, spec.val_size, spec.split_seed)
    (x, y), (x_val, y_val), (x_test, y_test) = ((torch.from_numpy(a), torch.from_numpy(b)) for a, b in sums.splits)
    blocks, width = layers["TransformerBlocks"], layers["Embedding"]["embedding_dim"]
    torch.manual_seed(preset.seed)

    class Model(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.tokens = torch.nn.Embedding(len(sums.vocab), width)
            self.positions = torch.nn.Parameter(torch.randn(x.shape[1], width))
            layer = torch.nn.TransformerEncoderLayer(width, blocks["nhead"], blocks["dim_feedforward"],
                                                     blocks["dropout"], blocks["activation"], batch_first=True,
                                                     norm_first=blocks["norm_first"])
            self.blocks = torch.nn.TransformerEncoder(layer, blocks["num_layers"], enable_nested_tensor=False)
            self.norm = torch.nn.LayerNorm(width)
            self.head = torch.nn.Linear(width, len(sums.vocab))
            self.register_buffer("mask", torch.nn.Transformer.generate_square_subsequent_mask(x.shape[1]))

        def forward(self, ids):
            h = self.tokens(ids) + self.positions[:ids.shape[1]]
            return self.head(self.norm(self.blocks(h, mask=self.mask, is_causal=True)))

    model = Model()
    optimizer = torch.optim.AdamW(model.parameters(), lr=preset.lr)
    loss_fn = torch.nn.CrossEntropyLoss(ignore_index=IGNORE)

    def exact(xs, ys) -> float:
        model.eval()
        with torch.no_grad():
            right = (model(xs).argmax(-1) == ys) | (ys == IGNORE)
        model.train()
        return float(right.all(dim=1).float().mean())

    curve = []
    start = time.perf_counter()
    for _ in range(preset.epochs):
        order = torch.randperm(len(x))
        for i in range(0, len(x), preset.batch_size):
            index = order[i:i + preset.batch_size]
            optimizer.zero_grad()
            logits = model(x[index])
            loss = loss_fn(logits.reshape(-1, logits.shape[-1]), y[index].reshape(-1))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), preset.max_grad_norm)
            optimizer.step()
        curve.append((time.perf_counter() - start, exact(x_val, y_val)))
        if curve[-1][1] >= goal:
            break
    assert np.isfinite(curve[-1][1])
    return {"curve": curve, "test_exact_match": exact(x_test, y_test)}


def reached(curve: list, goal: float) -> tuple[float | None, int | None]:
    """The seconds and epoch at which validation exact match first reached `goal` (None: never)."""
    for epoch, (seconds, value) in enumerate(curve, 1):
        if value >= goal:
            return seconds, epoch
    return None, None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--goal", type=float, default=0.99)
    parser.add_argument("--frameworks", default="npnn,torch")
    parser.add_argument("--limit", type=int, help="sums drawn (default: the preset's; small for a quick check)")
    parser.add_argument("--json", help="write the results here")
    parser.add_argument("--child", choices=("npnn", "torch"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        answer = (npnn_child if args.child == "npnn" else torch_child)(args.epochs, args.goal, args.limit)
        print(json.dumps(answer))
        return
    frameworks = args.frameworks.split(",")
    results: dict = {name: [] for name in frameworks}
    loads = []
    for r in range(args.rounds):
        for name in frameworks if r % 2 == 0 else frameworks[::-1]:
            loads.append(load_average()[0])
            limit = [] if args.limit is None else ["--limit", str(args.limit)]
            done = subprocess.run([sys.executable, "-m", "benchmarks.addition_time", "--child", name, "--epochs",
                                   str(args.epochs), "--goal", str(args.goal), *limit], cwd=ROOT,
                                  capture_output=True, text=True)
            if done.returncode != 0:
                raise SystemExit(f"{name}: {(done.stderr.strip().splitlines() or ['?'])[-1]}")
            answer = json.loads(done.stdout.strip().splitlines()[-1])
            seconds, epoch = reached(answer["curve"], args.goal)
            answer.update(seconds_to_goal=seconds, epochs_to_goal=epoch)
            results[name].append(answer)
            shown = f"{seconds:.0f} s (epoch {epoch})" if seconds is not None else "not reached"
            print(f"round {r + 1} {name}: {args.goal:.0%} validation exact match in {shown}; test exact match "
                  f"{answer['test_exact_match']:.4f}", file=sys.stderr, flush=True)
    print(f"\nAddition transformer ({PRESET} defaults), time to {args.goal:.0%} held-out exact match; "
          f"{args.rounds} round(s) in fresh processes, 1-min load {min(loads):.2f}–{max(loads):.2f}.\n")
    print("| framework | time to goal (median) | epochs | seconds per epoch | test exact match |\n"
          "|---|---:|---:|---:|---:|")
    for name, answers in results.items():
        times = [a["seconds_to_goal"] for a in answers if a["seconds_to_goal"] is not None]
        epochs = [a["epochs_to_goal"] for a in answers if a["epochs_to_goal"] is not None]
        per_epoch = statistics.median(a["curve"][-1][0] / len(a["curve"]) for a in answers)
        median = f"{statistics.median(times):.0f} s" if times else "not reached"
        print(f"| {name} | {median} | {statistics.median(epochs) if epochs else '—'} | {per_epoch:.1f} | "
              f"{statistics.median(a['test_exact_match'] for a in answers):.4f} |")
    if args.json:
        with open(args.json, "w") as file:
            json.dump({"goal": args.goal, "epochs": args.epochs, "load_1min": [min(loads), max(loads)],
                       "results": results}, file, indent=1)


if __name__ == "__main__":
    main()
