"""The UI-free Run: data and model from a preset, metrics before and after `fit`, and a run directory.

Front ends pass callbacks (any callable taking one event) and a `should_stop` check; they receive,
in order, RunPrepared, Evaluated(before, val/test), RunStarted, the fit loop's events (with a sequence run's
SamplesDrawn after an EpochEnded and after Finished), Evaluated(after, val/test) and RunSaved. The run
directory is written also when training is stopped, fails or is interrupted.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

import npnn
from npnn import nn
from npnn.callbacks import EarlyStopping
from npnn.data import DataLoader
from npnn.diagnostics.switch import MonitorSwitch
from npnn.events import Failed, Finished, StopReason
from npnn.history import History
from npnn.metrics import accuracy, mae, mse
from npnn.training import FitLoop
from presets import predictions as _predictions
from presets import resume as _resume
from presets.advice import Advice
from presets.bundle import BUNDLE_FILE, bundle_dict
from presets.checkpoint import Checkpoint
from presets.control import Change, RunControl, drive
from presets.datasets import Splits, load_data
from presets.events import Evaluated, RunPrepared, RunSaved, RunStarted
from presets.models import (
    build_loss,
    build_model,
    build_optimizer,
    build_scheduler,
    check_next_token_model,
    resolve_layers,
)
from presets.predictions import Predictions
from presets.run_advice import baseline_loss, run_advice
from presets.rundir import SWEEP_FILE, check_out_dir, make_run_dir, save_run
from presets.schema import Preset, change_dict
from presets.sequence import metrics as sequence_metrics
from presets.sequence.samples import LiveSamples, SamplePrompts, sample_prompts

_EVAL_BATCH = 1024
# a diverged model scores nan, it does not warn
_QUIET: dict[str, Any] = dict(over="ignore", invalid="ignore", divide="ignore")


@dataclass
class RunResult:
    history: History
    before: dict                         # {"val": {...}, "test": {...}}
    after: dict                          # the same after training, best weights restored
    run_dir: Path
    reason: StopReason                   # COMPLETED, EARLY_STOPPED, DIVERGED or STOPPED (by should_stop); the
                                         # saved metrics.json also knows FAILED, INTERRUPTED and PRUNED
    predictions: Predictions | None = None
    advice: Advice | None = None         # the verdict and next step (presets.advice), also in metrics.json


def _outputs(model, x: np.ndarray) -> np.ndarray:
    with npnn.no_grad():
        return np.concatenate([model(npnn.Tensor(x[i:i + _EVAL_BATCH])).data
                               for i in range(0, len(x), _EVAL_BATCH)])


def _probabilities_and_one_hot(outputs: np.ndarray, y: np.ndarray) -> tuple:
    """Classification outputs as softmax probabilities, and the labels as one-hot rows beside them."""
    probs = npnn.Tensor(np.asarray(outputs, dtype=np.float64)).softmax(axis=-1).data
    return probs, np.eye(probs.shape[1])[np.asarray(y)]


def score(outputs: np.ndarray, y: np.ndarray, task: str) -> dict:
    """MSE and MAE (classification: softmax probabilities against one-hot labels) and accuracy; a sequence
    task's token accuracy, exact match and accuracy per answer position (presets.sequence.metrics)."""
    if task == "sequence":
        return sequence_metrics.scores(outputs, y)
    if task == "regression":
        return {"mse": mse(outputs, y), "mae": mae(outputs, y)}
    probs, one_hot = _probabilities_and_one_hot(outputs, y)
    return {"mse": mse(probs, one_hot), "mae": mae(probs, one_hot), "accuracy": accuracy(outputs, y)}


def evaluate(model, x: np.ndarray, y: np.ndarray, task: str, loss_fn=None) -> dict:
    """Metrics of the model in eval mode (no dropout, no graph), with "loss" first when `loss_fn` is given
    (the mean over all rows, as the fit loop's validation loss); the model's mode is put back."""
    was_training = model.training
    model.eval()
    try:
        with np.errstate(**_QUIET):
            outputs = _outputs(model, x)
            loss = {} if loss_fn is None else {"loss": float(loss_fn(npnn.Tensor(outputs), npnn.Tensor(y)).item())}
            if task == "sequence" and loss:
                loss["perplexity"] = float(np.exp(loss["loss"]))
            return {**loss, **score(outputs, y, task)}
    finally:
        model.train(was_training)


@dataclass
class _State:
    """What a run has so far, for the run directory (also when it ends early)."""
    started: float = field(default_factory=time.time)
    before: dict = field(default_factory=dict)
    after: dict = field(default_factory=dict)
    history: History | None = None
    reason: StopReason = StopReason.FAILED
    run_dir: Path | None = None
    loop: FitLoop | None = None  # set once training starts: it knows the worker count used
    advice: Advice | None = None


class Run:
    """One training run of a preset. `prepare()` loads data and builds the model; `execute()` trains."""

    def __init__(self, preset: Preset, *, out_dir="runs", data_path=None, target=None, download=False,
                 sweep: dict | None = None, resume: Checkpoint | None = None, fork: dict | None = None,
                 workers: int | str | None = None):
        """`resume`: a checkpoint (presets.checkpoint) to go on from, in its own run directory, or with
        `fork` (the settings changed, key → value) in a new one that names it as its parent;
        `workers` as npnn.training.fit's (None: the preset's)."""
        self.preset, self.out_dir = preset, Path(out_dir)
        self.resume, self.fork, self.workers = resume, fork, workers
        self.sweep = sweep  # a sweep trial's study, number and parameters; `execute` adds its state (sweep.json)
        self.data_path, self.target, self.download = data_path, target, download
        self.prepared: RunPrepared | None = None
        self.splits: Splits | None = None
        # NOTE: prepare() builds these; execute() builds early_stopping
        self.model: nn.Module | None = None
        self.loss_fn: Any = None
        self.optimizer: Any = None
        self.scheduler: Any = None
        self.early_stopping: EarlyStopping | None = None
        self.history: History | None = None  # the running or finished fit loop's, for `advice`
        self._baseline: float | None = None
        self.inside = MonitorSwitch()  # the Inside view's per-layer statistics: `run.inside.watch(callback)`
        self.sample_prompts: SamplePrompts | None = None  # a sequence run's fixed prompts (SamplesDrawn, Inside)

    def prepare(self) -> RunPrepared:
        """Load the data and build model, loss, optimizer and lr schedule (seeded); a second call returns the first
        result."""
        if self.prepared is not None:
            return self.prepared
        preset = self.preset
        splits = load_data(preset.data, preset.task, self.data_path, self.target, self.download)
        self.splits = splits  # NOTE: set before the model is built, so a model that does not fit still tells its shapes
        if self.resume is not None:  # NOTE: before the model: a changed vocabulary would first fail as a size
            _resume.check_tokens(self.resume, splits.preprocessing.get("vocab"))
        where = str(preset.path) + ": model" if preset.path else "model"
        tokens = preset.task == "sequence"
        specs = resolve_layers(preset.model, splits.input_shape, splits.num_outputs, where, tokens)
        if tokens:
            check_next_token_model(specs, where)
        model = build_model(specs, generator=np.random.default_rng(preset.seed))
        model.eval()
        rows = tuple(nn.summary(model, splits.input_shape, dtype=splits.x_train.dtype))
        model.train()
        config = preset.to_dict()
        config["model"] = specs
        config["data"].update(splits.source)
        self.model = model
        self.sample_prompts = sample_prompts(splits) if tokens else None
        prompts = self.sample_prompts
        self.inside.bind(model, [row[0] for row in rows], splits.x_test if prompts is None else prompts.probe,
                         None if prompts is None else prompts.vocab)
        self.loss_fn, self.optimizer = build_loss(preset), build_optimizer(preset, model)
        self.scheduler = build_scheduler(preset, self.optimizer)
        self._baseline = baseline_loss(self.loss_fn, splits.y_train, preset.task, splits.num_classes or 0)
        self.prepared = RunPrepared(preset=preset.name, task=preset.task, data_description=splits.description,
                                    notice=splits.notice, model_summary=rows,
                                    num_parameters=model.num_parameters(), config=config,
                                    train_samples=len(splits.x_train), target_std=_target_std(splits),
                                    input_shape=splits.input_shape, num_outputs=splits.num_outputs,
                                    columns=tuple(splits.preprocessing.get("column_notes") or ()),
                                    table_notes=tuple(splits.preprocessing.get("table_notes") or ()),
                                    answers=tokens and sequence_metrics.has_answers(splits.y_val))
        return self.prepared

    def _evaluate_all(self, stage: str, emit) -> dict:
        s = self.splits
        assert s is not None  # NOTE: prepare() has run
        result = {}
        for split, x, y in (("val", s.x_val, s.y_val), ("test", s.x_test, s.y_test)):
            result[split] = with_target_units(evaluate(self.model, x, y, self.preset.task, self.loss_fn),
                                              _target_std(s))
            emit(Evaluated(stage, split, dict(result[split])))
        return result

    def predictions(self, weights: str = "best") -> Predictions:
        """What the model predicts on the test split (presets.predictions): a ClassPredictions, a
        RegressionPredictions or a SequencePredictions; `weights` says which weights the model holds ("best"
        or "last")."""
        s, model = self.splits, self.model
        assert s is not None and model is not None, "predictions() needs prepare() first"
        was_training = model.training
        model.eval()
        try:
            with np.errstate(**_QUIET):
                if self.preset.task == "sequence":
                    return _predictions.sequence(model, s, weights)
                outputs = _outputs(model, s.x_test)
                build = _predictions.classification if self.preset.task == "classification" \
                    else _predictions.regression
                return build(outputs, s, weights)
        finally:
            model.train(was_training)

    def advice(self) -> Advice:
        """The verdict and next step on the history so far (presets.advice): at the end, or on demand while it
        trains; judged against the loss of predicting the training mean or class frequencies."""
        return run_advice(self.preset, self.history, self._baseline)

    def check_out_dir(self) -> None:
        """Create --out and prove it writable; raises OutputError. `execute` calls it before anything else."""
        check_out_dir(self.out_dir)

    def execute(self, callbacks=(), should_stop=None, control: RunControl | None = None) -> RunResult:
        """Train once; write the run directory (also on stop, failure or Ctrl+C, which is then re-raised).

        `control` (presets.control.RunControl) lets another thread step, pause, resume, stop and change
        hyperparameters; the preset's [[changes]] are applied at their batches either way.

        Raises OutputError before loading data when --out cannot hold run directories, and SaveError
        (naming the fallback folder that holds the model and history) when writing the run directory fails.
        """
        self.check_out_dir()
        prepared = self.prepare()
        state = _State()

        def emit(event):
            for callback in callbacks:
                callback(event)

        def capture(event):
            if isinstance(event, (Finished, Failed)):
                state.history = event.history

        preset = self.preset
        checkpoints = _resume.Checkpointer(self, state)
        samples = () if self.sample_prompts is None else \
            (LiveSamples(self.sample_prompts, self.model, preset.seed, emit),)
        loop = checkpoints.loop = self.fit_loop((capture, checkpoints, self.inside, *callbacks, *samples), should_stop)
        changes = preset.changes
        if self.resume is not None:  # NOTE: a checkpoint that does not fit is refused before anything is written
            changes = _resume.continue_loop(self, loop)
            state.started = state.started if self.fork is not None else self.resume.run["started"]
        state.run_dir = self.resume.run_dir if self.resume is not None and self.fork is None else None
        try:
            emit(prepared)
            state.before = _resume.before(self, emit) if self.resume is not None else self._evaluate_all("before", emit)
            state.run_dir = state.run_dir or make_run_dir(self.out_dir, preset.name, state.started)
            emit(RunStarted(str(state.run_dir)))
            state.history = self.history = loop.history
            state.loop = loop
            history = drive(loop, control, changes)
            checkpoints.at_end(loop)
            state.history, state.reason = history, history.stop_reason
            assert self.early_stopping is not None  # NOTE: fit_loop built it
            restored = self.early_stopping.restore(self.model)
            state.after = self._evaluate_all("after", emit)
            predictions = self.predictions("best" if restored else "last")
        except BaseException as error:
            state.reason = (StopReason.INTERRUPTED if isinstance(error, KeyboardInterrupt)
                            else StopReason.PRUNED if _is_pruned(error) else StopReason.FAILED)
            if self.early_stopping is not None:
                self.early_stopping.restore(self.model)
            _flush_quietly(checkpoints)
            self._save(state, prepared, error)
            emit(RunSaved(str(state.run_dir), state.reason, _workers_used(state.loop), state.advice))
            raise
        self._save(state, prepared)
        emit(RunSaved(str(state.run_dir), state.reason, _workers_used(state.loop), state.advice))
        assert state.run_dir is not None  # NOTE: _save sets it or raises
        return RunResult(state.history, state.before, state.after, state.run_dir, state.reason, predictions,
                         state.advice)

    def fit_loop(self, callbacks, should_stop) -> FitLoop:
        """The fit loop over the training split, with the run's own generator for shuffles and Dropout."""
        preset, s = self.preset, self.splits
        assert s is not None  # NOTE: prepare() has run
        generator = _training_generator(self.model, preset.seed)
        self.early_stopping = EarlyStopping(patience=preset.patience, min_delta=preset.min_delta,
                                            restore_best_weights=True)
        loader = DataLoader(s.x_train, s.y_train, batch_size=preset.batch_size, shuffle=True, generator=generator)
        return FitLoop(self.model, self.loss_fn, self.optimizer, loader, val_data=(s.x_val, s.y_val),
                       epochs=preset.epochs, early_stopping=self.early_stopping, scheduler=self.scheduler,
                       max_grad_norm=preset.max_grad_norm, metrics=_fit_metrics(preset.task, s.y_val),
                       callbacks=callbacks, should_stop=should_stop,
                       workers=preset.workers if self.workers is None else self.workers,
                       generator=generator)

    def _save(self, state: _State, prepared: RunPrepared, error: BaseException | None = None) -> None:
        assert self.splits is not None  # NOTE: prepare() has run
        extra = {BUNDLE_FILE: bundle_dict(self.preset.task, prepared.config["model"], self.splits.preprocessing)}
        prepared = replace(prepared, config=_with_workers(_with_changes(prepared.config, state.history),
                                                          _workers_used(state.loop)))
        if self.sweep is not None:
            extra[SWEEP_FILE] = {**self.sweep, "state": _trial_state(state.reason, error)}
        self.history = state.history
        state.advice = self.advice()
        state.run_dir = save_run(self.out_dir, self.preset.name, state.started, prepared, self.model,
                                 state.history, state.before, state.after, state.reason, error, extra,
                                 advice=state.advice, run_dir=state.run_dir, parent=_resume.parent(self))


def _flush_quietly(checkpoints) -> None:
    """Write the last finished epoch's checkpoint of a run that is failing or interrupted.

    NOTE: a disk that refuses it must not hide why the run ended; saving the run says so itself."""
    try:
        checkpoints.flush()
    except OSError:
        pass


def _with_changes(config: dict, history: History | None) -> dict:
    """config.toml's contents with the run's hyperparameter changes as [[changes]], so it replays them."""
    changes = history.changes if history is not None else []
    if not changes:
        return config
    return {**config, "changes": [change_dict(Change(c.epoch, c.batch, c.name, c.new)) for c in changes]}


def _workers_used(loop: FitLoop | None) -> int | None:
    """The processes that computed the run's batches ("auto" resolved); None before training began."""
    if loop is None:
        return None
    return 1 if loop.parallel is None else loop.parallel.workers


def _with_workers(config: dict, workers: int | None) -> dict:
    """config.toml's contents with the worker count used, so a replay computes as this run did (a run is
    reproducible for a given worker count: the gradient sum's rounding and Dropout's masks depend on it)."""
    if workers is None:
        return config
    return {**config, "training": {**config["training"], "workers": workers}}


def with_target_units(metrics: dict, target_std: tuple | None) -> dict:
    """A one-target regression's MAE and RMSE in the target's own units beside the standardised figures."""
    if target_std is None or len(target_std) != 1 or "mse" not in metrics:
        return metrics
    return {**metrics, "mae_units": metrics["mae"] * target_std[0], "rmse_units": metrics["mse"] ** 0.5 * target_std[0]}


def _target_std(splits: Splits) -> tuple | None:
    """The regression target's std per column when it was standardised (errors times it are in its units)."""
    std = splits.preprocessing.get("target_std")
    return None if std is None else tuple(float(value) for value in std)


def _is_pruned(error: BaseException) -> bool:
    """A sweep's pruner ended the run: a callback raised optuna.TrialPruned.

    NOTE: matched by name, because presets never imports Optuna (an optional extra)."""
    return type(error).__name__ == "TrialPruned"


def _trial_state(reason: StopReason, error: BaseException | None) -> str:
    """A sweep trial's end as Optuna names it: "pruned" (its pruner stopped it), "fail" or "complete"."""
    if reason == StopReason.PRUNED:
        return "pruned"
    return "fail" if reason in (StopReason.FAILED, StopReason.INTERRUPTED) else "complete"


def _training_generator(model, seed: int) -> np.random.Generator:
    """The run's own generator for shuffles and dropout masks, handed to every module that draws masks from
    a `generator` of its own (Dropout, the dropout between GRU/LSTM layers).

    NOTE: it starts from the seed afresh (initialisation had its own), so the data order does not
    depend on how many numbers the model's initialisation drew; no other thread draws from it."""
    generator = np.random.default_rng(seed)
    for module in model.modules():
        if hasattr(module, "generator"):
            module.generator = generator
    return generator


def _fit_metrics(task: str, y_val: np.ndarray):
    """Validation metrics reported each epoch, with the same definitions as `score`."""
    if task == "sequence":
        return sequence_metrics.fit_metrics(y_val)
    if task == "regression":
        return ("mse", "mae")
    return {"mse": lambda outputs, y: mse(*_probabilities_and_one_hot(outputs, y)),
            "mae": lambda outputs, y: mae(*_probabilities_and_one_hot(outputs, y)),
            "accuracy": accuracy}
