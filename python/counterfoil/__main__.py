"""The ``counterfoil`` command: a thin shim over the Rust CLI (see ``counterfoil --help``)."""

import signal
import sys

from counterfoil._native import run_cli


def main() -> None:
    # A one-shot command: let Ctrl-C end the process at once instead of raising in Python.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    sys.exit(run_cli(["counterfoil", *sys.argv[1:]]))


if __name__ == "__main__":
    main()
