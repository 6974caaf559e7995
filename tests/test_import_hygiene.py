"""The framework and the presets never pull in the UI toolkit."""
import sys

from tests import processes


def test_importing_npnn_and_presets_does_not_import_textual_or_rich():
    code = ("import sys, npnn, presets; "
            "print(' '.join(m for m in ('textual', 'rich') if m in sys.modules))")
    out = processes.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_npnn_imports_only_numpy_outside_the_standard_library():
    code = ("import sys; before = set(sys.modules); import npnn; "
            "new = {m.split('.')[0] for m in set(sys.modules) - before}; "
            "print(' '.join(sorted(m for m in new - {'npnn', 'numpy'} if m not in sys.stdlib_module_names and 'cython' not in m)))")
    out = processes.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
