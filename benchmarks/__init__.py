"""npnn's benchmark suite: the original project's CNN and MLP epochs, per-op overhead and peak memory,
side by side with PyTorch CPU when it is importable. Run it with `python -m benchmarks`."""
