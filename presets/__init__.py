"""Presets: what to train (data, model, loss, optimizer, settings) and the UI-free Run that trains it."""
