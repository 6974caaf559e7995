"""The `npnn-tui` command line."""
import argparse


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="npnn-tui", description="Train npnn models live in the terminal.")
    parser.parse_args(argv)
    print("npnn-tui: the trainer app is coming soon; the npnn framework is ready to import.")
    return 0
