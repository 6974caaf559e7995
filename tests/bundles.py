"""Small trained runs for the bundle, predict and export tests: one per kind of model a preset builds."""
from __future__ import annotations

import csv
import dataclasses
from pathlib import Path

import numpy as np
import pytest

from presets import Run, load_preset
from tests.presets.conftest import fake_mnist

CLASSIFIER_TOML = """
name = "species"
task = "classification"
model = [
    { type = "Linear", in_features = "auto", out_features = 16 },
    { type = "GELU" },
    { type = "Dropout", p = 0.1 },
    { type = "Linear", in_features = 16, out_features = 8 },
    { type = "Tanh" },
    { type = "Linear", in_features = 8, out_features = "auto" },
]
[data]
source = "csv"
path = "species.csv"
target = "species"
[training]
loss = "cross_entropy"
optimizer = "adam"
lr = 0.01
epochs = 5
"""


def write_species_csv(path: Path, n: int = 120, seed: int = 0) -> Path:
    """Three text classes told apart by two of three features; the target column sits in the middle."""
    rng = np.random.default_rng(seed)
    names = np.array(["setosa", "versicolor", "virginica"])
    labels = np.arange(n) % 3
    x = rng.normal(size=(n, 3)) + np.stack([labels * 3.0, -labels * 2.0, np.zeros(n)], axis=1) + 10.0
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["length", "species", "width", "noise"])
        for row, label in zip(x, labels):
            writer.writerow([row[0], names[label], row[1], row[2]])
    return path


def train_regressor(out: Path) -> Path:
    """The tabular MLP on diabetes for a few epochs."""
    return Run(load_preset("tabular_mlp", {"epochs": 3}), out_dir=out).execute().run_dir


def train_classifier(out: Path) -> tuple[Path, Path]:
    """An MLP on a CSV with text labels; returns the run directory and the CSV."""
    data = write_species_csv(out / "species.csv")
    preset = out / "species.toml"
    preset.write_text(CLASSIFIER_TOML)
    run = Run(load_preset(str(preset)), out_dir=out, data_path=data, target="species").execute()
    return run.run_dir, data


def train_cnn(out: Path, images: np.ndarray, labels: np.ndarray) -> tuple[Path, Path]:
    """The MNIST CNN for one epoch on the given uint8 images; returns the run directory and the .npz."""
    data = out / "images.npz"
    np.savez(data, x=images, y=labels)
    run = Run(load_preset("mnist_cnn", {"epochs": 1}), out_dir=out, data_path=data).execute()
    return run.run_dir, data


def train_sequence(out: Path, preset: str, **data) -> Path:
    """A sequence preset for one epoch on a little data (`data`: data-section keys such as limit)."""
    loaded = load_preset(preset, {"epochs": 1})
    loaded = dataclasses.replace(loaded, data=dataclasses.replace(loaded.data, **data))
    return Run(loaded, out_dir=out).execute().run_dir


@pytest.fixture(scope="module")
def addition(tmp_path_factory):
    """addition_transformer on 300 sums for one epoch (under a second): a causal transformer."""
    return train_sequence(tmp_path_factory.mktemp("add"), "addition_transformer", limit=300)


@pytest.fixture(scope="module")
def char_lm(tmp_path_factory):
    """char_lm (a GRU) on the built-in text, 8-character windows, one epoch."""
    return train_sequence(tmp_path_factory.mktemp("lm"), "char_lm", block_size=8)


@pytest.fixture(scope="module")
def regressor(tmp_path_factory):
    return train_regressor(tmp_path_factory.mktemp("reg"))


@pytest.fixture(scope="module")
def classifier(tmp_path_factory):
    return train_classifier(tmp_path_factory.mktemp("cls"))


@pytest.fixture(scope="module")
def cnn(tmp_path_factory):
    images, labels = fake_mnist(60)
    return train_cnn(tmp_path_factory.mktemp("cnn"), images, labels)
