"""The registry of timed cases: name → module with TITLE, npnn_runner(quick) and torch_runner(quick).

A runner builder does all setup (data, model, optimizer) and returns run(), which does the timed work
and returns (units, samples): time per unit is what the table shows, samples/s = samples / time.
"""
import importlib

CASES = ("cnn_epoch", "mlp_epoch", "mlp_fit_epoch", "op_overhead", "gru_step", "lstm_step", "encoder_step")
_MODULES = {"cnn_epoch": "cnn", "mlp_epoch": "mlp", "mlp_fit_epoch": "mlp_fit", "op_overhead": "op_overhead",
            "gru_step": "gru", "lstm_step": "lstm", "encoder_step": "encoder"}


def case_module(name: str):
    if name not in _MODULES:
        raise ValueError(f"unknown benchmark case {name!r}; expected one of {', '.join(CASES)}")
    return importlib.import_module(f"benchmarks.{_MODULES[name]}")


def runner(name: str, framework: str, quick: bool):
    module = case_module(name)
    if framework == "npnn":
        import npnn
        npnn.tune_malloc()  # NOTE: as npnn-tui does; `import npnn` alone leaves the allocator as it is
        return module.npnn_runner(quick)
    if framework == "torch":
        return module.torch_runner(quick)
    raise ValueError(f"unknown framework {framework!r}; expected 'npnn' or 'torch'")
