"""The ``counterfoil`` command: a thin shim over the Rust CLI (see ``counterfoil --help``).

``counterfoil fleet …`` runs here, in Python, because a fleet runs on Dask
(``counterfoil.fleet``); every other command is the Rust CLI.
"""

import signal
import sys

from counterfoil._native import run_cli


def main() -> None:
    args = sys.argv[1:]
    if args[:1] == ["fleet"]:
        from counterfoil.fleet import main as fleet_main

        sys.exit(fleet_main(args[1:]))
    # A one-shot command: let Ctrl-C end the process at once instead of raising in Python.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    sys.exit(run_cli(["counterfoil", *args]))


if __name__ == "__main__":
    main()
