"""Student and instructor copies of the notebooks (``python -m kitlib student|instructor OUTDIR``).

- **student**: cells tagged ``solution`` removed, outputs cleared; every other cell, tag
  and metadata kept, kernel ``python3``. A build stops if a reference solution would still
  be visible in a cell that is not tagged ``solution``.
- **instructor**: the same with the solutions kept.

The output folder must be new, empty, or written by an earlier build *of the same kind*
(it holds a ``.kitlib-build.json`` marker naming the kind and listing the files and their
hashes; its contents are checked). A notebook there that changed since that build (a
learner's work?) is never overwritten, and nothing is deleted. Files are written to new
temporary files (``O_EXCL``) and renamed into place, so a link planted in the folder is
never written through.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
from pathlib import Path

from kitlib.exercises import exercises, modules, normalise_code

__all__ = ["BuildError", "build", "student_copy", "instructor_copy", "solution_leaks",
           "layout_problems", "sync_exercise_cells", "module_for", "source_notebooks", "MARKER", "SOLUTION_TAG", "KINDS"]

MARKER = ".kitlib-build.json"
SOLUTION_TAG = "solution"
# JupyterLab (and Notebook 7) show a cell with this metadata collapsed, as "…", until clicked:
# a learner reads the answer cell first, not the reference solution under it.
# JupyterLab's collapsed input still shows the cell's first line: this one gives nothing away.
HIDDEN_SOURCE = {"source_hidden": True}
SOLUTION_HEADER = "# Reference solution (collapsed): try the cell above first, then click to expand."


def without_solution_header(source: str) -> str:
    """A solution cell's code without the header line that ``hide_solutions`` puts on top."""
    first, _, rest = source.partition("\n")
    return rest if first.strip() == SOLUTION_HEADER else source
KINDS = ("student", "instructor")
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
_NOTEBOOK_RE = re.compile(r"^(\d\d)_.+\.ipynb\Z")


class BuildError(Exception):
    """The build refused to run; the message says why and what to do."""


def _tags(cell) -> list:
    return list(cell.get("metadata", {}).get("tags", []))


def module_for(notebook: str | os.PathLike) -> str | None:
    """The exercise module of a notebook file (``01_end_to_end.ipynb`` → ``"nb01"``), if any."""
    m = _NOTEBOOK_RE.match(Path(notebook).name)
    if not m:
        return None
    name = f"nb{m.group(1)}"
    return name if name in modules() else None


def source_notebooks(source: str | os.PathLike | None = None) -> list[Path]:
    """The kit's notebooks (``NN_topic.ipynb``) in *source*, by default the repository's notebooks/."""
    if source is None:
        from kitlib.data import _project_root
        root = _project_root()
        if root is None:
            raise BuildError("kitlib is not running from a checkout of the kit: pass the notebooks "
                             "folder with --notebooks DIR")
        source = root / "notebooks"
    src = Path(source).expanduser().resolve()
    if not src.is_dir():
        raise BuildError(f"notebooks folder {src} does not exist")
    paths = sorted(p for p in src.iterdir() if _NOTEBOOK_RE.match(p.name))
    if not paths:
        raise BuildError(f"no notebooks (NN_topic.ipynb) in {src}")
    return paths


def _cleared(nb):
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    return nb


def instructor_copy(nb):
    """*nb* with outputs cleared (solutions, tags and metadata kept)."""
    return _cleared(nb)


def student_copy(nb):
    """*nb* with the cells tagged ``solution`` removed and outputs cleared."""
    nb = _cleared(nb)
    nb.cells = [c for c in nb.cells if SOLUTION_TAG not in _tags(c)]
    return nb


def _revealing_lines(q) -> list[str]:
    """Lines of a reference solution that give something away: not in the starter, not a
    comment or a docstring line, long enough to be specific."""
    starter = set(q.starter.splitlines())
    lines = []
    for line in q.solution_code.splitlines():
        s = line.strip()
        if line in starter or s.startswith("#") or len(s) < 12 or s.startswith(('"""', "'''")):
            continue
        if s.startswith(("def ", "import ", "from ", "return ___")):
            continue
        lines.append(s)
    return lines


def solution_leaks(nb, module: str) -> list[str]:
    """Places in *nb* outside ``solution`` cells that show a line of a reference solution."""
    leaks = []
    for q in exercises(module):
        revealing = _revealing_lines(q)
        for i, cell in enumerate(nb.cells):
            if SOLUTION_TAG in _tags(cell):
                continue
            text = {l.strip() for l in "".join(cell.get("source", "")).splitlines()}
            for line in revealing:
                if line in text:
                    leaks.append(f"cell {i} shows the solution of exercise {q.id} ({line!r}) but is not "
                                 f"tagged {SOLUTION_TAG!r}")
                    break
    return leaks


def _cell_metadata(cell) -> dict:
    return cell.get("metadata", {}) or {}


def hide_solutions(nb) -> None:
    """Collapse the input of every ``solution`` cell (metadata ``jupyter.source_hidden``) and
    start it with ``SOLUTION_HEADER``, the line JupyterLab shows in place of the code."""
    for cell in nb.cells:
        if cell.get("cell_type") == "code" and SOLUTION_TAG in _tags(cell):
            cell.setdefault("metadata", {})["jupyter"] = dict(HIDDEN_SOURCE)
            code = without_solution_header("".join(cell.get("source", "")))
            cell["source"] = f"{SOLUTION_HEADER}\n{code}"


def sync_exercise_cells(nb, module: str) -> list[str]:
    """Write each exercise's answer cell (``starter``) and ``solution`` cell from its module,
    the one source of an exercise's code; return what changed ("01.1 answer", ...).

    An exercise's cells are found by position: the last ``solution`` cell before the cell
    calling ``ex.<name>.check()``, and the last other code cell before that one. A notebook
    that does not have that pattern is left alone (``layout_problems`` says what is wrong).
    """
    changed = []
    code = [(i, c) for i, c in enumerate(nb.cells) if c.get("cell_type") == "code"]
    for q in exercises(module):
        call = f"ex.{q.name}.check()"
        checks = [i for i, c in code if call in "".join(c.get("source", ""))]
        if not checks:
            continue
        sols = [i for i, c in code if i < checks[0] and SOLUTION_TAG in _tags(c)]
        if not sols:
            continue
        answers = [i for i, c in code if i < sols[-1] and SOLUTION_TAG not in _tags(c)]
        if not answers:
            continue
        for i, code_text, what in ((answers[-1], q.starter, "answer"), (sols[-1], q.solution_code, "solution")):
            cell = nb.cells[i]
            current = "".join(cell.get("source", ""))
            if what == "solution":
                current = without_solution_header(current)
            if normalise_code(current) != code_text:
                cell["source"] = f"{SOLUTION_HEADER}\n{code_text}" if what == "solution" else code_text
                cell["outputs"] = []
                cell["execution_count"] = None
                changed.append(f"{q.id} {what}")
    return changed


def layout_problems(nb, module: str) -> list[str]:
    """How *nb* departs from the exercise cell pattern (see ``kitlib.exercises``).

    For each exercise: one answer cell equal to ``starter``, then one ``solution``-tagged
    cell equal to ``solution_code`` and collapsed (``jupyter.source_hidden``), then a cell
    calling ``ex.<name>.check()``. Every ``solution`` cell belongs to an exercise.
    """
    problems = []
    code = [(i, c) for i, c in enumerate(nb.cells) if c.get("cell_type") == "code"]
    solutions = {i for i, c in code if SOLUTION_TAG in _tags(c)}
    norm = {i: normalise_code(without_solution_header("".join(c.get("source", ""))) if i in solutions
                              else "".join(c.get("source", ""))) for i, c in code}
    claimed = set()
    if not any(f"{module} as ex" in "".join(c.get("source", "")) for _, c in code):
        problems.append(f"no cell imports the exercises: `from kitlib.exercises import ___, {module} as ex`")
    for q in exercises(module):
        starters = [i for i, _ in code if norm[i] == q.starter and i not in solutions]
        sols = [i for i in solutions if norm[i] == q.solution_code]
        if len(starters) != 1:
            problems.append(f"{q.id}: expected one answer cell equal to ex.{q.name}.starter, found {len(starters)}")
        if len(sols) != 1:
            problems.append(f"{q.id}: expected one cell tagged {SOLUTION_TAG!r} equal to "
                            f"ex.{q.name}.solution_code, found {len(sols)}")
        claimed.update(sols)
        for i in sols:
            hidden = _cell_metadata(nb.cells[i]).get("jupyter", {}).get("source_hidden") is True
            if not hidden or not "".join(nb.cells[i].get("source", "")).startswith(SOLUTION_HEADER):
                problems.append(f"{q.id}: the solution cell (cell {i}) is not collapsed under SOLUTION_HEADER: a "
                                f"learner would read it before trying; run "
                                f"`python tools/refresh_notebooks.py --clean-only`")
        if len(starters) == 1 and len(sols) == 1:
            if sols[0] < starters[0]:
                problems.append(f"{q.id}: the solution cell comes before the answer cell")
            call = f"ex.{q.name}.check()"
            if not any(i > sols[0] and call in "".join(c.get("source", "")) for i, c in code):
                problems.append(f"{q.id}: no cell after the solution calls {call}")
    for i in sorted(solutions - claimed):
        problems.append(f"cell {i} is tagged {SOLUTION_TAG!r} but matches no exercise's solution_code")
    return problems


# --------------------------------------------------------------------------- writing


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


_SHA_RE = re.compile(r"[0-9a-f]{64}\Z")


def _read_marker(out: Path, kind: str) -> dict:
    """The file hashes of the earlier build in *out*, after checking that its marker is a
    real kitlib marker (a plain file, valid contents) written by a build of the same *kind*."""
    marker = out / MARKER
    if marker.is_symlink() or not marker.is_file():
        raise BuildError(f"{out} is not empty and was not written by a kitlib build (no {MARKER}, or it "
                         f"is not a plain file): give a new or empty folder; nothing there was changed")
    try:
        content = json.loads(marker.read_text())
        previous = content["files"]
        built = content["kitlib_build"]
        if (not isinstance(content, dict) or set(content) != {"kitlib_build", "files"}
                or not isinstance(previous, dict) or built not in KINDS
                or not all(isinstance(n, str) and _NOTEBOOK_RE.match(n) and n == Path(n).name
                           and isinstance(h, str) and _SHA_RE.match(h) for n, h in previous.items())):
            raise TypeError
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise BuildError(f"{marker} is not a kitlib build marker: give a new or empty folder") from None
    if built != kind:
        what = "the solutions" if kind == "instructor" else "copies without the solutions"
        raise BuildError(f"{out} holds a {built} build; refusing to turn it into a {kind} build ({what} "
                         f"where {built} files were): give another folder, e.g. build/{kind}")
    return previous


def _check_outdir(out: Path, sources: list[Path], names: list[str], kind: str) -> dict:
    """Refuse unsafe output folders; return the previous build's file hashes."""
    from kitlib.data import _project_root
    root = _project_root()
    protected = {sources[0].parent.resolve()} | ({(root / "notebooks").resolve()} if root else set())
    for folder in protected:
        if out == folder or folder in out.parents:
            raise BuildError(f"refusing to write into the notebooks folder {folder}: "
                             f"give another folder, e.g. build/student")
    if out.exists() and not out.is_dir():
        raise BuildError(f"{out} exists and is not a folder")
    if not out.exists() or not any(out.iterdir()):
        return {}
    previous = _read_marker(out, kind)
    links = [n for n in names if (out / n).is_symlink()]
    if links:
        raise BuildError(f"{', '.join(links)} in {out} {'is a symbolic link' if len(links) == 1 else 'are symbolic links'}"
                         f"; a build never writes through a link: remove the link or build into a new folder")
    odd = [n for n in names if (out / n).exists() and not (out / n).is_file()]
    if odd:
        raise BuildError(f"{', '.join(odd)} in {out} is not a plain file: move it away or build into a new folder")
    changed = [n for n in names if (out / n).exists()
               and previous.get(n) != _sha((out / n).read_bytes())]
    if changed:
        raise BuildError(f"{', '.join(changed)} in {out} changed since the last build (someone's work?) "
                         f"and would be overwritten: build into a new folder, or move those files away first")
    return previous


def _write_atomically(target: Path, data: bytes) -> None:
    """Write *data* to a new temporary file (``O_EXCL``: never an existing file or link) in
    *target*'s folder, then rename it over *target* (a rename replaces a link, never writes
    through it)."""
    import tempfile
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)  # our own temporary file
        raise


def build(kind: str, outdir: str | os.PathLike, source: str | os.PathLike | None = None) -> list[Path]:
    """Write the *kind* (``"student"`` or ``"instructor"``) copies of the notebooks to *outdir*."""
    import nbformat

    if kind not in KINDS:
        raise BuildError(f"kind must be one of {KINDS}, not {kind!r}")
    sources = source_notebooks(source)
    out = Path(outdir).expanduser().resolve()
    names = [p.name for p in sources]
    previous = _check_outdir(out, sources, names, kind)

    rendered: dict[str, bytes] = {}
    for path in sources:
        nb = nbformat.read(path, as_version=4)
        module = module_for(path)
        if kind == "student":
            nb = student_copy(nb)
            leaks = solution_leaks(nb, module) if module else []
            if leaks:
                raise BuildError(f"{path.name}: " + "; ".join(leaks) + ". Tag that cell "
                                 f"{SOLUTION_TAG!r} (nothing was written)")
        else:
            nb = instructor_copy(nb)
        rendered[path.name] = (nbformat.writes(nb) + "\n").encode()

    out.mkdir(parents=True, exist_ok=True)
    files = {n: h for n, h in previous.items()
             if not (out / n).is_symlink() and (out / n).is_file() and _sha((out / n).read_bytes()) == h}
    written = []
    for name, data in rendered.items():
        target = out / name
        _write_atomically(target, data)
        files[name] = _sha(data)
        written.append(target)
    marker = json.dumps({"kitlib_build": kind, "files": files}, indent=1, sort_keys=True) + "\n"
    _write_atomically(out / MARKER, marker.encode())
    return written
