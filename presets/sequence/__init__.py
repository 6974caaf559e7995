"""Sequence models in presets: the `sequence` task (next-token prediction), its generated and text data,
the layers a preset chains for it, its metrics and text generation."""
