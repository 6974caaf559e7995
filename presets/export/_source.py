"""Python source the PyTorch and NumPy exports share: the preprocessing constants, `prepare`, the answers
(`predict`, `predict_proba`) and a `__main__` reading a CSV or an .npz, around a script's own `forward`;
a sequence run's pieces are presets.export.sequence_source's.

The generated code repeats Bundle's arithmetic (presets.bundle, presets.mnist.as_images) without npnn:
table columns encoded by the fitted plan (presets.export.preprocess_source) and standardised in float64
then cast to float32, images scaled to 0..1, outputs back in float64.
"""
from __future__ import annotations

import pprint
import textwrap
from pathlib import Path

import numpy as np

from npnn import save
from npnn._atomic import write_atomic
from presets.bundle import Bundle
from presets.errors import OutputError
from presets.export.preprocess_source import READ_TABLE, table_constants, table_prepare
from presets.export.sequence_source import (
    SEQUENCE_ANSWERS,
    SEQUENCE_ARGUMENTS,
    SEQUENCE_NOTE,
    SEQUENCE_PREPARE,
    sequence_constants,
    sequence_main,
)
from presets.export.targets import check_targets

WEIGHTS = "weights.npz"


def literal(name: str, value, call: str = "") -> str:
    """`NAME = value`, or `NAME = call(value)`: exact (floats by repr), continuation lines aligned."""
    head = f"{name} = {call}{'(' if call else ''}"
    text = pprint.pformat(value, width=110 - len(head), compact=True)
    return head + text.replace("\n", "\n" + " " * len(head)) + (")" if call else "")


def imports(bundle: Bundle, *extra: str) -> str:
    """The script's standard-library imports, one a line, sorted: sys, and csv (tables and images), re (an
    addition run's prompt check) and `extra`."""
    names = {"sys", *extra, *(() if bundle.is_sequence else ("csv",)), *(("re",) if bundle.prompt_length else ())}
    return "".join(f"import {name}\n" for name in sorted(names))


def constants(bundle: Bundle) -> str:
    """The module-level constants the preprocessing and the answers read."""
    spec, lines = bundle.spec, []
    if bundle.is_sequence:
        return sequence_constants(bundle, literal)
    if bundle.is_image:
        lines.append(literal("INPUT_SHAPE", bundle.input_shape))
    else:
        lines += [literal(name, value) for name, value in table_constants(spec)]
        if spec.get("feature_mean") is not None:
            lines += [literal("FEATURE_MEAN", spec["feature_mean"], "np.array"),
                      literal("FEATURE_STD", spec["feature_std"], "np.array")]
    lines.append(literal("TARGET_NAME", bundle.target_name or "prediction"))
    if bundle.task == "classification":
        lines.append(literal("CLASS_NAMES", bundle.class_names))
    elif spec.get("target_mean") is not None:
        lines += [literal("TARGET_MEAN", spec["target_mean"], "np.array"),
                  literal("TARGET_STD", spec["target_std"], "np.array")]
    return "\n".join(lines)


def prepare(bundle: Bundle) -> str:
    if bundle.is_sequence:
        return SEQUENCE_PREPARE
    if bundle.is_image:
        return '''def prepare(x):
    """Images (n, C, H, W), (n, H, W) or one image as float32 in 0..1: divided by 255 when they are
    integers or any pixel exceeds 1, as npnn scaled the training images."""
    x = np.asarray(x)
    scaled = x.astype(np.float32).reshape(-1, *INPUT_SHAPE)
    if np.issubdtype(x.dtype, np.integer) or (scaled.size and scaled.max() > 1.0):
        scaled /= 255.0
    return scaled'''
    return table_prepare(bundle.spec)


def answers(bundle: Bundle) -> str:
    if bundle.is_sequence:
        return SEQUENCE_ANSWERS
    if bundle.task == "classification":
        return '''def predict_proba(x):
    """Each class's probability, (n, classes), columns in CLASS_NAMES order."""
    logits = forward(prepare(x)).astype(np.float64)
    exp = np.exp(logits - logits.max(axis=1, keepdims=True))
    return exp / exp.sum(axis=1, keepdims=True)


def predict(x):
    """The most likely class of each input, from CLASS_NAMES."""
    return np.asarray(CLASS_NAMES)[forward(prepare(x)).argmax(axis=1)]'''
    scale = " * TARGET_STD + TARGET_MEAN" if bundle.spec.get("target_mean") is not None else ""
    return f'''def predict(x):
    """Predictions in the target's units: (n,) for one target, else (n, targets)."""
    y = forward(prepare(x)).astype(np.float64){scale}
    return y[:, 0] if y.shape[1] == 1 else y'''


def _command_line(bundle: Bundle) -> tuple[str, str, str]:
    """What the script takes on its command line, where its output goes in the example, and what it is."""
    if bundle.is_sequence:
        return SEQUENCE_ARGUMENTS[0], "", SEQUENCE_ARGUMENTS[1]
    if bundle.is_image:
        return ("images.npz", " > predictions.csv",
                f"an .npz holding x: {'x'.join(map(str, bundle.input_shape[1:]))} images")
    return "new.csv", " > predictions.csv", "a CSV with the FEATURE_NAMES columns, any order"


def _usage_check(bundle: Bundle) -> str:
    """The start of `__main__`: without its arguments the script prints one line of usage and exits 2."""
    arguments, _, what = _command_line(bundle)
    wrong = "len(sys.argv) < 2" if bundle.is_sequence else "len(sys.argv) != 2"
    return f'''    if {wrong}:
        print(f"usage: python {{sys.argv[0]}} {arguments}  ({what})", file=sys.stderr)
        sys.exit(2)'''


def docstring_text(text: str) -> str:
    """`text` as it may stand inside a triple-quoted docstring: quotes, backslashes and unprintable characters
    escaped (a run folder's name is the user's: three quotes in it would end the docstring)."""
    return repr(text)[1:-1].replace('"', '\\"')


def main(bundle: Bundle) -> str:
    """`python <script> DATA`: the predictions as the CSV `npnn-tui predict` writes, on stdout."""
    if bundle.is_sequence:
        return sequence_main(bundle, _usage_check(bundle))
    if bundle.is_image:
        read = '    x = np.load(sys.argv[1])["x"]  # images (n, H, W) or (n, C, H, W)'
        missing = "no array 'x' of images"
    else:
        read, missing = READ_TABLE, "no column {error}"
    if bundle.task == "classification":
        answer = "labels, probabilities = predict(x), predict_proba(x)"
        write = '''    writer.writerow([TARGET_NAME, *(f"p_{c}" for c in CLASS_NAMES)])
    for label, p in zip(labels, probabilities):
        writer.writerow([label, *(f"{v:.6g}" for v in p)])'''
    else:
        answer = "y = predict(x)"
        write = '''    y = y.reshape(len(y), -1)
    writer.writerow([TARGET_NAME] if y.shape[1] == 1 else [f"{TARGET_NAME}_{i}" for i in range(y.shape[1])])
    writer.writerows([f"{v:.10g}" for v in row] for row in y)'''
    return f'''if __name__ == "__main__":
{_usage_check(bundle)}
    try:  # NOTE: a file that cannot be read or does not fit: one line, exit 2, nothing printed
{textwrap.indent(read, "    ")}
        {answer}
    except KeyError as error:
        print(f"{{sys.argv[0]}}: {{sys.argv[1]}}: {missing}", file=sys.stderr)
        sys.exit(2)
    except (OSError, ValueError) as error:
        print(f"{{sys.argv[0]}}: {{sys.argv[1]}}: {{getattr(error, 'strerror', None) or error}}", file=sys.stderr)
        sys.exit(2)
    writer = csv.writer(sys.stdout, lineterminator="\\n")
{write}'''


def network_note(bundle: Bundle) -> str:
    """For a sequence run, what the network computes and that generation beyond greedy is the caller's."""
    return "\n\n" + SEQUENCE_NOTE if bundle.is_sequence else ""


def usage(bundle: Bundle, script: str, *lines: tuple[str, str]) -> str:
    """The docstring's examples: running the script on a file, then `lines` (code, comment), aligned."""
    arguments, output, what = _command_line(bundle)
    run = (f"python {script} {arguments}{output}", what)
    width = max(len(code) for code, _ in (run, *lines))
    return "\n".join(f"    {code:<{width}}  # {comment}" for code, comment in (run, *lines))


def write_export(bundle: Bundle, directory, script: str, source: str, force: bool = False) -> Path:
    """Write `source` as `script` and the bundle's state dict as weights.npz into `directory`; returns it.

    Files of those names already there (an earlier export, or the user's own) are replaced only with
    `force`, and only regular files outside the run directory; otherwise OutputError names them and
    nothing is written.
    """
    directory = Path(directory)
    present = check_targets([directory / script, directory / WEIGHTS], bundle.run_dir)
    if present and not force:
        raise OutputError(f"{directory}: already holds {' and '.join(present)}; pass --force to replace "
                          f"{'it' if len(present) == 1 else 'them'}")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        save({key: np.asarray(value) for key, value in bundle.model.state_dict().items()}, directory / WEIGHTS)
        write_atomic(directory / script, source)
    except OSError as error:
        raise OSError(error.errno, f"cannot write the export there ({error.strerror or error})",
                      str(directory)) from None
    return directory
