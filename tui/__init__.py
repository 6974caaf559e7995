"""npnn-tui: the Textual trainer app and its command line."""
