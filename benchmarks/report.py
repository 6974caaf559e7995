"""Turns the suite's results into a Markdown table (what README's Performance section shows) and JSON."""
import json
import os
import tempfile

from benchmarks.cases import case_module

NAMES = {"npnn": "npnn", "torch": "PyTorch"}


def _time(seconds) -> str:
    if seconds is None:
        return "—"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.2f} s"


def _cell(entry) -> str:
    if entry is None:
        return "—"
    if "error" in entry:
        return "n/a"
    spread = f" ±{entry['iqr_rel'] * 50:.0f}%" if entry["iqr_rel"] >= 0.005 else ""
    return _time(entry["median_s"]) + spread


def _rate(entry) -> str:
    if entry is None or "error" in entry or not entry.get("samples_per_s"):
        return "—"
    return f"{entry['samples_per_s']:,.0f}"


def _ratio(a, b, key="median_s") -> str:
    if not a or not b or "error" in a or "error" in b:
        return "—"
    if key == "best":
        return f"{min(a['runs_s']) / min(b['runs_s']):.2f}"
    return f"{a[key] / b[key]:.2f}"


def _mib(entry) -> str:
    if not entry:
        return "—"
    return "n/a" if "error" in entry else f"{entry['median_bytes'] / 2**20:.1f} MiB"


def machine_lines(report: dict) -> list:
    facts = next(iter(report["machine"].values()), {})
    lines = [f"- CPU: {facts.get('cpu')}, {facts.get('cores')} cores; Python {facts.get('python')}, "
             f"NumPy {facts.get('numpy')}, PyTorch {facts.get('torch') or 'not installed'}"]
    for fw, info in report["machine"].items():
        pools = ", ".join(f"{p['internal_api']} {p.get('architecture') or ''} x{p['num_threads']}".replace("  ", " ")
                          for p in info.get("threadpools", []))
        extra = f", torch threads {info['torch_threads']}" if "torch_threads" in info else ""
        if "npnn_threads" in info:
            extra += f", npnn threads {info['npnn_threads']}"
        lines.append(f"- {NAMES.get(fw, fw)} process pools: {pools}{extra}")
    env = {k: v for k, v in facts.get("env", {}).items() if k.startswith("OPENBLAS_CORETYPE") or
           k.startswith("OPENBLAS_L2")}
    lines.append("- " + ", ".join(f"{k}={v if v is not None else '(unset)'}" for k, v in env.items()))
    before, after = report["load_average_before"], report["load_average_after"]
    lines.append(f"- load average (1/5/15 min) before {before[0]:.2f}/{before[1]:.2f}/{before[2]:.2f}, "
                 f"after {after[0]:.2f}/{after[1]:.2f}/{after[2]:.2f}; "
                 f"{report['settings']['repeat']} alternating runs per side, medians (± half the IQR); "
                 "the best runs' ratio compares each side's fastest run")
    if report["settings"].get("quick"):
        lines.append("- --quick: 640 CNN images and fewer MLP epochs and ops per run; a smoke test, not figures")
    return lines


def table(report: dict) -> str:
    rows = ["| case | npnn | PyTorch | npnn / PyTorch | best runs' ratio | npnn samples/s | PyTorch samples/s |",
            "|---|---:|---:|---:|---:|---:|---:|"]
    for case, entries in report["results"].items():
        npnn, torch = entries.get("npnn"), entries.get("torch")
        rows.append(f"| {case_module(case).TITLE} | {_cell(npnn)} | {_cell(torch)} | {_ratio(npnn, torch)} "
                    f"| {_ratio(npnn, torch, 'best')} | {_rate(npnn)} | {_rate(torch)} |")
    mem = report.get("memory") or {}
    if mem:
        a, b = mem.get("npnn_rss"), mem.get("torch_rss")
        ratio = (f"{a['median_bytes'] / b['median_bytes']:.2f}"
                 if a and b and "error" not in a and "error" not in b and b["median_bytes"] else "—")
        rows.append(f"| CNN epoch peak memory (RSS high-water mark) | {_mib(a)} | {_mib(b)} | {ratio} | — | — | — |")
    notes = []
    if "npnn_tracemalloc" in mem:
        notes.append(f"npnn's NumPy arrays at the CNN epoch's peak (tracemalloc): {_mib(mem['npnn_tracemalloc'])}.")
    results = report["results"]
    fit, loop = results.get("mlp_fit_epoch", {}).get("npnn"), results.get("mlp_epoch", {}).get("npnn")
    if fit and loop and "error" not in fit and "error" not in loop:
        extra = fit["median_s"] - loop["median_s"]
        notes.append(f"fit() costs {_time(abs(extra))} per MLP epoch {'more' if extra >= 0 else 'less'} than the "
                     f"explicit loop ({extra / loop['median_s']:+.0%}).")
    for case, entries in results.items():
        for fw, entry in entries.items():
            if "error" in entry:
                notes.append(f"{case} / {NAMES[fw]} not run: {entry['error']}")
    return "\n".join(rows + ([""] + notes if notes else []))


def write_json(report: dict, path: str) -> None:
    """Atomic: a temp file in the same folder, then rename over the target."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".bench-", suffix=".json")
    try:
        with os.fdopen(fd, "w") as out:
            json.dump(report, out, indent=2)
        os.chmod(tmp, 0o644)  # mkstemp makes it owner-only
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
