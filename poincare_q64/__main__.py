"""``python -m poincare_q64``: the ``poincare-q64`` command."""
import sys

from poincare_q64.cli import main

if __name__ == "__main__":
    sys.exit(main())
