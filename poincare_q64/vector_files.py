"""Vector and worst-case files on disk: atomic writes, reads and merges.

:mod:`poincare_q64.vectors` defines the grammars of the vector files and the
worst-case files; this module moves them to and from disk.  Every file the
package and its scripts generate goes through :func:`atomic_file` (or
:func:`write_atomic`, for lines), so an interrupted ``gen`` or campaign never
leaves half a file behind.

The worst-case files, ``<directory>/<function>.txt`` (the package's are
``poincare_q64/data/worst_cases``, :func:`default_worst_case_dir`), hold the inputs
closest to a rounding midpoint.  ``gen --level 2`` reads them
(:func:`worst_case_inputs`); the validation campaign adds the cases it finds
(:func:`merge_worst_cases`).
"""
import contextlib
import errno
import os
import stat
import tempfile
from pathlib import Path

from poincare_q64 import vectors as V

__all__ = ["atomic_file", "write_atomic", "default_worst_case_dir", "worst_case_inputs",
           "merge_worst_cases"]


@contextlib.contextmanager
def atomic_file(path, mode="w"):
    """A file object whose contents replace ``path`` all at once, or never.

    Everything written goes to a temporary file in the same directory; when
    the ``with`` block ends normally the file is flushed to disk and renamed
    over ``path`` (``os.replace`` is atomic on POSIX and Windows).  If the
    block raises or is interrupted (an exception, Ctrl-C), the temporary
    file is removed and ``path`` is left as it was: never a half-written
    file.

    A symlink is followed: its target is written (atomically, if it is a
    regular file or does not exist yet) and the link stays.  A path that
    exists and is not a regular file (a FIFO, a device such as /dev/null)
    is written through, in place, as ``open(path, "w")`` would: a rename
    would replace it with a regular file.  A directory is refused before
    anything is written.

    Parameters
    ----------
    path : path-like
    mode : {"w", "wb"}
        Text (ASCII, ``\\n`` line ends) or binary.

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "x.bin")
    >>> with atomic_file(p, "wb") as fh:
    ...     _ = fh.write(b"ok")
    >>> open(p, "rb").read()
    b'ok'
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"mode must be 'w' or 'wb', got {mode!r}")
    # The target of a symlink is what gets written; renaming over the link
    # would replace it.
    given = os.fspath(path)
    path = os.path.realpath(given)
    text = dict(encoding="ascii", newline="\n") if mode == "w" else {}
    try:
        st = os.stat(path)
    except FileNotFoundError:
        st = None
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(errno.EISDIR, "is a directory, not a file",
                                given)
    if st is not None and not stat.S_ISREG(st.st_mode):
        # No O_CREAT: if the special file has gone meanwhile, fail rather
        # than create a regular file non-atomically.
        with os.fdopen(os.open(path, os.O_WRONLY), mode, **text) as fh:
            yield fh
        return
    directory = os.path.dirname(path)
    try:
        fd, tmp = tempfile.mkstemp(dir=directory,
                                   prefix=f".{os.path.basename(path)}.",
                                   suffix=".tmp")
    except OSError as exc:
        # The temporary file is ours; the user asked for ``given``.
        raise type(exc)(exc.errno, exc.strerror, given) from None
    try:
        with os.fdopen(fd, mode, **text) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        # mkstemp makes the file private (0600); give it the mode a plain
        # open() would have.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        try:
            os.replace(tmp, path)
        except OSError as exc:
            raise type(exc)(exc.errno, exc.strerror, given) from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_atomic(path, lines):
    """Write lines (each without its newline) to ``path``, all or nothing
    (:func:`atomic_file`).

    Parameters
    ----------
    path : path-like
    lines : iterable of str
        Consumed while writing, so a generator that fails midway leaves
        nothing behind.

    Examples
    --------
    >>> import tempfile, os
    >>> d = tempfile.mkdtemp()
    >>> write_atomic(os.path.join(d, "v.txt"), ["a", "b"])
    >>> open(os.path.join(d, "v.txt")).read()
    'a\\nb\\n'
    """
    with atomic_file(path) as fh:
        for line in lines:
            fh.write(line)
            fh.write("\n")


def default_worst_case_dir():
    """``data/worst_cases`` of this package: the worst-case files that
    ship with it (package data), so ``gen --level 2`` works in an installed
    package as in a checkout.

    Returns
    -------
    pathlib.Path
        The directory, whether or not it exists.

    Examples
    --------
    >>> default_worst_case_dir().parts[-3:]
    ('poincare_q64', 'data', 'worst_cases')
    """
    return Path(__file__).resolve().parent / "data" / "worst_cases"


def _read_worst_case_file(path, function):
    """The lines (without newlines) and the cases of the worst-case file
    ``path``, which must be ``function``'s.

    Both readers of a file go through here, so a damaged file or one of
    another function is refused the same way, with its path in the message.
    """
    with open(path, encoding="ascii") as fh:
        lines = [line.rstrip("\n") for line in fh]
    try:
        found, cases = V.read_worst_cases(lines)
    except V.VectorSyntaxError as exc:
        raise V.VectorSyntaxError(exc.lineno,
                                  f"{path}: {exc.reason}") from None
    if found != function:
        raise V.VectorSyntaxError(1, f"{path}: the header names {found!r}, "
                                  f"expected {function!r}")
    return lines, cases


def worst_case_inputs(function, directory=None):
    """Inputs of ``<directory>/<function>.txt`` (level 2), in file order.

    spatial_hash rounds nothing: it has no file and no worst cases.

    Parameters
    ----------
    function : str
        A vector function name (:data:`poincare_q64.vectors.INPUTS`).
    directory : path-like, optional
        Default :func:`default_worst_case_dir`.

    Returns
    -------
    list of tuple of int
        One input tuple per worst case; empty if the file does not exist.

    Raises
    ------
    FileNotFoundError
        The directory is missing.
    poincare_q64.vectors.VectorSyntaxError
        A malformed worst-case file, or one whose header names another
        function.

    Examples
    --------
    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> _ = (d / "angular.txt").write_text(
    ...     "# poincare_q64 worst cases: function=angular\\n"
    ...     "float64 0000000000000003 0 0  # -2^-19.9 ulp\\n")
    >>> worst_case_inputs("angular", d), worst_case_inputs("radial", d)
    ([(3, 0, 0)], [])
    """
    directory = Path(directory) if directory else default_worst_case_dir()
    if not directory.is_dir():
        raise FileNotFoundError(
            f"level 2 needs the worst-case files, and {directory} is not a "
            "directory (they ship as poincare_q64/data/worst_cases; pass "
            "--worst-cases DIR)")
    path = directory / f"{function}.txt"
    if not path.exists():
        return []
    return [c.inputs for c in _read_worst_case_file(path, function)[1]]


def merge_worst_cases(function, cases, directory, comment):
    """Add worst cases to ``<directory>/<function>.txt``, keeping its lines.

    Lines already in the file stay as they are; a case whose (format,
    inputs) is already there is not added again.  The new lines follow
    ``comment`` (added once: a rerun that finds the same cases adds
    nothing).  A missing directory or file is created; the file is written
    with :func:`write_atomic`.

    Parameters
    ----------
    function : str
        A vector function name (:data:`poincare_q64.vectors.INPUTS`).
    cases : iterable of (VectorFormat, tuple of int, str)
        Format, inputs and note (e.g. the signed distance to the midpoint,
        ``"-2^-19.9 ulp"``) of each case.
    directory : path-like
    comment : str
        A ``#`` line saying where the new cases come from.

    Returns
    -------
    int
        The number of lines added.

    Raises
    ------
    poincare_q64.vectors.VectorSyntaxError
        The existing file is malformed or names another function.

    Examples
    --------
    >>> import tempfile
    >>> d = tempfile.mkdtemp()
    >>> case = (V.VectorFormat("float64", None), (3, 0, 0), "-2^-19.9 ulp")
    >>> merge_worst_cases("angular", [case], d, "# found by hand")
    1
    >>> merge_worst_cases("angular", [case], d, "# found by hand")
    0
    >>> print(open(f"{d}/angular.txt").read(), end="")
    # poincare_q64 worst cases: function=angular
    # found by hand
    float64 0000000000000003 0 0  # -2^-19.9 ulp
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{function}.txt"
    if path.exists():
        lines, existing = _read_worst_case_file(path, function)
        keys = {(c.format.name, c.inputs) for c in existing}
    else:
        lines, keys = [V.worst_case_header(function)], set()
    new = []
    for fmt, inputs, note in cases:
        if (fmt.name, inputs) not in keys:
            keys.add((fmt.name, inputs))
            new.append(V.format_worst_case(function, fmt, inputs, note))
    if new:
        if comment not in lines:
            lines.append(comment)
        lines += new
        write_atomic(path, lines)
    return len(new)
