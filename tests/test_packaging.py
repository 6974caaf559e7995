"""The distribution: named npnn-tui (npnn on the index is another project), version written once, MIT, typed."""
import sys
from importlib import metadata
from pathlib import Path

import npnn

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def test_the_version_is_pyproject_s_read_from_the_installed_metadata():
    assert PROJECT["name"] == "npnn-tui"
    assert npnn.__version__ == metadata.version("npnn-tui") == PROJECT["version"]
    assert PROJECT["version"] not in (ROOT / "npnn" / "__init__.py").read_text()  # no second copy of it


def test_license_file_matches_the_declared_license():
    assert PROJECT["license"] == {"text": "MIT"}
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")


def test_npnn_ships_its_py_typed_marker():
    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    assert "py.typed" in package_data["npnn"] and (ROOT / "npnn" / "py.typed").is_file()


def test_dependencies_name_the_numpy_floor_and_the_toml_writer():
    deps = PROJECT["dependencies"]
    assert "numpy>=1.25" in deps  # np.exceptions (npnn/ops/shape.py) is new in NumPy 1.25
    assert any(dep.startswith("tomli-w") for dep in deps)
