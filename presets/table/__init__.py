"""Tables as users bring them: reading delimited files (read), and the per-column preprocessing fitted on
the training split (columns) that bundles, predict and every export carry."""
