"""Write the worst cases of poincare_q64/data/worst_cases as vector files.

The worst-case files hold inputs only (docs/vectors.md); a C program that
checks vectors needs the results too.  This script computes them with
poincare_q64.reference, the independent pure-Python reference (never with
the compiled kernels), and writes one vector file per function and format
into OUT_DIR, named FUNCTION_worst_FORMAT.txt, so that examples/c/check_vectors.c
(and tests/sanitize/check_levels.c) read them like any golden file.

    python tests/sanitize/worst_case_vectors.py OUT_DIR [WORST_CASE_FILE...]

Without files it reads every poincare_q64/data/worst_cases/*.txt.  Prints the
number of vectors written.
"""
import sys
from pathlib import Path

import poincare_q64
from poincare_q64 import conformance as C
from poincare_q64 import vectors as V

WORST_DIR = Path(__file__).resolve().parents[2] / "poincare_q64" / "data" / "worst_cases"


def main(argv):
    if not argv or argv[0].startswith("-"):
        print("usage: python tests/sanitize/worst_case_vectors.py OUT_DIR [WORST_CASE_FILE...]",
              file=sys.stderr)
        return 2
    out_dir = Path(argv[0])
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [Path(a) for a in argv[1:]] or sorted(WORST_DIR.glob("*.txt"))
    total = 0
    for path in paths:
        with open(path, encoding="ascii") as fh:
            function, cases = V.read_worst_cases(fh)
        for fmt in sorted({c.format for c in cases}, key=lambda f: f.name):
            inputs = [c.inputs for c in cases if c.format == fmt]
            results = C.evaluate_reference(function, fmt, inputs)
            lines = [V.header_line(function, fmt, poincare_q64.__version__),
                     f"# inputs: {path.name}; results: poincare_q64.reference"]
            lines += [V.format_line(function, fmt, x, y) for x, y in zip(inputs, results)]
            name = f"{function}_worst_{fmt.name.replace('/', '-')}.txt"
            (out_dir / name).write_text("\n".join(lines) + "\n", encoding="ascii")
            total += len(inputs)
    print(f"{total} worst-case vectors written to {out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
