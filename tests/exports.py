"""Helpers for the export tests: bundles held in memory, running an ONNX file, loading an exported script."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from presets.bundle import Bundle
from presets.models import build_model, resolve_layers


def synthetic(specs: list, input_shape: tuple, task: str, outputs: int, **preprocessing) -> Bundle:
    """A bundle held in memory: random weights, and random BatchNorm scales, shifts and running statistics."""
    specs = resolve_layers(specs, input_shape, outputs, tokens=task == "sequence")
    model = build_model(specs, np.random.default_rng(1))
    rng = np.random.default_rng(2)
    state = model.state_dict()
    for key, value in state.items():
        if key.endswith("running_var"):
            state[key] = rng.uniform(0.5, 2.0, value.shape).astype(np.float32)
        elif value.ndim == 1 and value.dtype == np.float32:
            state[key] = rng.normal(size=value.shape).astype(np.float32)
    model.load_state_dict(state)
    model.eval()
    return Bundle(Path("synthetic"), {"task": task, "model": specs, "input_shape": list(input_shape),
                                      **preprocessing}, model)


def assert_same_answers(bundle: Bundle, x, answers: dict) -> None:
    """`answers` (name → array) are the bundle's: predictions, or labels and probabilities; a sequence
    model's logits for the prompts `x` and, when given, their greedy completions."""
    if bundle.is_sequence:
        np.testing.assert_allclose(answers["logits"], bundle.outputs(x), rtol=1e-5, atol=1e-5)
        if "completions" in answers:
            assert np.asarray(answers["completions"]).tolist() == bundle.predict(x).tolist()
    elif bundle.task == "classification":
        np.testing.assert_allclose(answers["probabilities"], bundle.predict_proba(x), rtol=1e-5, atol=1e-6)
        assert answers["label"].tolist() == bundle.predict(x).tolist()
    else:
        assert answers["prediction"].shape == bundle.predict(x).shape
        np.testing.assert_allclose(answers["prediction"], bundle.predict(x), rtol=1e-5, atol=1e-6)


@pytest.fixture(params=["reference", "onnxruntime"])
def run_onnx(request):
    """path, input → name → output, by onnx.reference.ReferenceEvaluator or an onnxruntime session (each
    skipped when its package is missing)."""
    pytest.importorskip("onnx")
    if request.param == "reference":
        from onnx.reference import ReferenceEvaluator

        def run(path, x):
            session = ReferenceEvaluator(str(path))
            return dict(zip(session.output_names, session.run(None, onnx_feeds(session.input_names, x))))
    else:
        ort = pytest.importorskip("onnxruntime")

        def run(path, x):
            session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
            names = [i.name for i in session.get_inputs()]
            return dict(zip([o.name for o in session.get_outputs()], session.run(None, onnx_feeds(names, x))))
    return run


def onnx_feeds(names: list, x) -> dict:
    """The ONNX inputs for `x`: images as one "input"; a table as one (N, 1) input per column, double for
    numbers and strings (object) for text, from a mapping of columns or rows in the inputs' order."""
    if names == ["input"]:
        return {"input": x}
    if not hasattr(x, "keys"):
        rows = np.asarray(x, dtype=np.float64)
        x = {name: rows[:, j] for j, name in enumerate(names)}
    return {name: np.asarray(x[name]).reshape(-1, 1) if np.asarray(x[name]).dtype.kind in "fiub"
            else np.asarray(x[name], dtype=object).reshape(-1, 1) for name in names}


def onnx_input(bundle: Bundle, x) -> np.ndarray:
    if bundle.is_sequence:
        return bundle.prepare(x)  # NOTE: the network's token ids; the prompts' characters stay outside ONNX
    return np.asarray(x, dtype=np.float32 if bundle.is_image else np.float64)


def load_script(path: Path):
    """The exported script as a module of this process (for the many small cases)."""
    spec = importlib.util.spec_from_file_location(f"export_{abs(hash(path))}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def answers_of(module, bundle: Bundle, x) -> dict:
    if bundle.is_sequence:
        return {"logits": module.forward(module.prepare(x)), "completions": module.predict(x)}
    if bundle.task == "classification":
        return {"label": module.predict(x), "probabilities": module.predict_proba(x)}
    return {"prediction": module.predict(x)}
