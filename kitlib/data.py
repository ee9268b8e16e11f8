"""Offline-first loading of MNIST and Fashion-MNIST, and the guide's preprocessing.

``keras.datasets.mnist.load_data()`` downloads, checks the *file* hash and deletes a
cached copy that does not match byte for byte (a re-zipped but identical copy
included). This module instead looks in several places, in order, accepts either an
``.npz`` archive or the four original IDX files (gzipped or not), and verifies the
*arrays* (shapes, dtypes, label counts and a sha256 over the array bytes). It never
deletes or modifies a file it did not write.

Sources, in the order they are tried (``sources(name)`` lists them for this machine):

1. the ``path=`` argument (a ``.npz`` file or a folder);
2. the folder in the ``KITLIB_DATA_DIR`` environment variable;
3. the kit's data folder (``$KITLIB_CACHE_DIR``, else ``data/`` in the repository, else
   ``~/.cache/kitlib/data``);
4. system folders, e.g. Debian's ``dataset-fashion-mnist`` package
   (``/usr/share/datasets/fashion-mnist``);
5. Keras' own cache (``$KERAS_HOME/datasets`` or ``~/.keras/datasets``), read only;
6. a download into the kit's data folder (skipped when ``KITLIB_OFFLINE=1``).
"""

from __future__ import annotations

import difflib
import gzip
import hashlib
import os
import shutil
import socket
import threading
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import warnings
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np

from kitlib import _validate as V

__all__ = [
    "DataNotFoundError",
    "InstallError",
    "DatasetSpec",
    "Source",
    "GuideData",
    "DATASETS",
    "dataset_spec",
    "kit_data_dir",
    "keras_cache_dir",
    "candidates",
    "sources",
    "load_data",
    "last_source",
    "array_digest",
    "read_idx",
    "read_npz",
    "guide_data",
    "preprocess",
    "class_names",
    "install",
    "imbalanced_subset",
    "class_counts",
    "MultiIOData",
    "multi_io_data",
]

IDX_STEMS = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)
ARRAY_KEYS = ("x_train", "y_train", "x_test", "y_test")
_SHAPES = {
    "x_train": (60000, 28, 28),
    "y_train": (60000,),
    "x_test": (10000, 28, 28),
    "y_test": (10000,),
}
_KERAS_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"


class DataNotFoundError(FileNotFoundError):
    """No usable copy of a dataset was found; the message lists every way to provide one."""


class InstallError(RuntimeError):
    """``install()`` could not leave a verified copy in the data folder; the message says how to fix it."""

# What reading a damaged or unreadable file can raise: OSError covers PermissionError,
# gzip.BadGzipFile ("Not a gzipped file", "CRC check failed") and truncations reported as
# such; a flipped byte inside a deflate stream raises zlib.error, a cut gzip EOFError, a
# damaged zip BadZipFile.
_READ_ERRORS = (OSError, EOFError, zlib.error, zipfile.BadZipFile)


@dataclass(frozen=True)
class DatasetSpec:
    name: str
    title: str
    npz_names: tuple[str, ...]
    folder_names: tuple[str, ...]
    system_dirs: tuple[str, ...]
    keras_cache: tuple[str, ...]
    download_files: tuple[str, ...]
    digest: str
    train_counts: tuple[int, ...]
    test_counts: tuple[int, ...]
    class_names: tuple[str, ...]
    debian_package: str | None = None


DATASETS: dict[str, DatasetSpec] = {
    "mnist": DatasetSpec(
        name="mnist",
        title="MNIST",
        npz_names=("mnist.npz",),
        folder_names=("mnist", "mnist-idx"),
        system_dirs=("/usr/share/datasets/mnist",),
        keras_cache=("mnist.npz",),
        download_files=("mnist.npz",),
        digest="06b0d1f124c4e5fa796686ade41a9b778edacc8622f2195a352ef479ad44fc16",
        train_counts=(5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949),
        test_counts=(980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009),
        class_names=tuple(str(i) for i in range(10)),
    ),
    "fashion_mnist": DatasetSpec(
        name="fashion_mnist",
        title="Fashion-MNIST",
        npz_names=("fashion_mnist.npz", "fashion-mnist.npz"),
        folder_names=("fashion-mnist", "fashion_mnist"),
        system_dirs=("/usr/share/datasets/fashion-mnist",),
        keras_cache=("fashion-mnist",),
        download_files=tuple(f"{stem}.gz" for stem in IDX_STEMS),
        digest="ca3ab2a37f845e1b8ae23cab1b51749a3011ba3bf1d9016176d75cbaabac376f",
        train_counts=(6000,) * 10,
        test_counts=(1000,) * 10,
        class_names=(
            "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
            "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
        ),
        debian_package="dataset-fashion-mnist",
    ),
}
_ALIASES = {"fashion-mnist": "fashion_mnist", "fashion": "fashion_mnist", "fmnist": "fashion_mnist"}


def dataset_spec(name: str) -> DatasetSpec:
    """The spec of a dataset by name ('mnist', 'fashion_mnist'; a few aliases accepted)."""
    if not isinstance(name, str):
        raise TypeError(f"dataset name must be a string such as 'mnist', not {type(name).__name__}")
    key = _ALIASES.get(name.strip().lower(), name.strip().lower())
    if key not in DATASETS:
        close = difflib.get_close_matches(key, list(DATASETS) + list(_ALIASES), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"unknown dataset {name!r}: choose one of {sorted(DATASETS)}.{hint}")
    return DATASETS[key]


def class_names(name: str = "mnist") -> tuple[str, ...]:
    """Human-readable class names, index = label."""
    return dataset_spec(name).class_names


# --------------------------------------------------------------------------- places


def _project_root() -> Path | None:
    root = Path(__file__).resolve().parent.parent
    return root if (root / "pyproject.toml").is_file() and (root / "kitlib").is_dir() else None


def kit_data_dir() -> Path:
    """The kit's own data folder: $KITLIB_CACHE_DIR, else ``data/`` in the repository
    checkout, else ``~/.cache/kitlib/data``."""
    env = os.environ.get("KITLIB_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    root = _project_root()
    if root is not None:
        return root / "data"
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "kitlib" / "data"


def keras_cache_dir() -> Path:
    """Where Keras caches datasets: ``$KERAS_HOME/datasets`` or ``~/.keras/datasets``."""
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return Path(home) / "datasets"


@dataclass(frozen=True)
class Source:
    """One place a dataset may come from."""

    dataset: str
    how: str  # "argument", "KITLIB_DATA_DIR", "kit data dir", "system", "keras cache", "download"
    path: Path
    fmt: str  # "npz" or "idx"
    files: tuple[Path, ...] = field(default=(), compare=False)

    def describe(self) -> str:
        return f"{self.path} ({self.fmt}, via {self.how})"


def _idx_files(folder: Path) -> tuple[Path, ...] | None:
    """The four IDX files in *folder* (each gzipped or plain), or None if any is missing."""
    found = []
    for stem in IDX_STEMS:
        for candidate in (folder / f"{stem}.gz", folder / stem):
            if candidate.is_file():
                found.append(candidate)
                break
        else:
            return None
    return tuple(found)


def _in_folder(spec: DatasetSpec, folder: Path, how: str) -> list[Source]:
    """Every copy of *spec* a folder may hold: an npz, IDX files in a named subfolder, or loose IDX files."""
    out: list[Source] = []
    for npz in spec.npz_names:
        if (folder / npz).is_file():
            out.append(Source(spec.name, how, folder / npz, "npz", (folder / npz,)))
    for sub in spec.folder_names:
        files = _idx_files(folder / sub)
        if files:
            out.append(Source(spec.name, how, folder / sub, "idx", files))
    files = _idx_files(folder)
    if files:
        out.append(Source(spec.name, how, folder, "idx", files))
    return out


def _path_argument(spec: DatasetSpec, path: str | os.PathLike) -> list[Source]:
    p = Path(path).expanduser()
    if not p.exists():
        raise FileNotFoundError(
            f"path={str(path)!r} does not exist. Pass the {spec.title} .npz file or a folder "
            f"holding it (or the four IDX files), or leave path out to search the usual places."
        )
    if p.is_file():
        if p.suffix != ".npz":
            raise ValueError(
                f"path={str(path)!r} is a file but not an .npz archive. Pass an .npz with keys "
                f"{', '.join(ARRAY_KEYS)}, or the folder that holds the four IDX files."
            )
        return [Source(spec.name, "argument", p, "npz", (p,))]
    found = _in_folder(spec, p, "argument")
    if not found:
        raise FileNotFoundError(
            f"folder {str(path)!r} holds no {spec.title} data: expected one of "
            f"{', '.join(spec.npz_names)} or the four IDX files ({', '.join(IDX_STEMS)}, .gz or not)."
        )
    return found


def _unreadable(where: Path, how: str, exc: OSError) -> tuple[str, str]:
    reason = exc.strerror or str(exc)
    return (f"{where} (via {how})",
            (f"skipped: cannot read this location ({type(exc).__name__}: {reason}); fix its permissions "
            f"(e.g. chmod u+rx) or move the data elsewhere"))


def _search(spec: DatasetSpec, path: str | os.PathLike | None = None) -> tuple[list[Source], list[tuple[str, str]]]:
    """The local copies of *spec* in search order, and the locations skipped as unreadable.

    A location that cannot be read (no permission, an I/O error) is skipped with its reason;
    the search goes on, so one bad folder never hides a good copy elsewhere.
    """
    if path is not None:
        try:
            return _path_argument(spec, path), []
        except (FileNotFoundError, ValueError):
            raise
        except OSError as exc:
            raise DataNotFoundError(
                f"path={str(path)!r} cannot be read ({type(exc).__name__}: {exc.strerror or exc}); "
                f"fix its permissions or pass another copy") from exc
    out: list[Source] = []
    skipped: list[tuple[str, str]] = []

    def look(where: Path, how: str, find) -> None:
        try:
            out.extend(find())
        except OSError as exc:
            skipped.append(_unreadable(where, how, exc))

    env_dir = os.environ.get("KITLIB_DATA_DIR")
    if env_dir:
        p = Path(env_dir).expanduser()

        def in_env_dir():
            if p.is_dir():
                return _in_folder(spec, p, "KITLIB_DATA_DIR")
            warnings.warn(
                f"KITLIB_DATA_DIR={env_dir!r} is not a folder; ignoring it. Point it at the "
                f"folder that holds {spec.npz_names[0]} (or unset it).",
                stacklevel=5,
            )
            return []
        look(p, "KITLIB_DATA_DIR", in_env_dir)
    kit_dir = kit_data_dir()
    look(kit_dir, "kit data dir", lambda: _in_folder(spec, kit_dir, "kit data dir") if kit_dir.is_dir() else [])
    for sysdir in spec.system_dirs:
        d = Path(sysdir)
        look(d, "system", lambda d=d: _in_folder(spec, d, "system") if d.is_dir() else [])
    cache = keras_cache_dir()
    for entry in spec.keras_cache:
        p = cache / entry

        def in_cache(p=p):
            if p.is_file() and p.suffix == ".npz":
                return [Source(spec.name, "keras cache", p, "npz", (p,))]
            if p.is_dir():
                files = _idx_files(p)
                if files:
                    return [Source(spec.name, "keras cache", p, "idx", files)]
            return []
        look(p, "keras cache", in_cache)
    # The same file can be reachable two ways (e.g. KITLIB_DATA_DIR == kit data dir).
    seen, unique = set(), []
    for s in out:
        key = s.path.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(s)
    return unique, skipped


def candidates(name: str = "mnist", path: str | os.PathLike | None = None) -> list[Source]:
    """Every existing local copy of a dataset, in the order ``load_data`` tries them.

    Only checks that files exist; nothing is read. Downloads are not listed. Locations that
    cannot be read are left out (``load_data`` reports them with the reason).
    """
    return _search(dataset_spec(name), path)[0]


def sources(name: str = "mnist") -> list[str]:
    """Human-readable list of every place searched for *name*, in order (for error messages)."""
    spec = dataset_spec(name)
    env_dir = os.environ.get("KITLIB_DATA_DIR")
    lines = [
        "the path= argument of load_data()/guide_data() (an .npz file or a folder)",
        f"KITLIB_DATA_DIR={env_dir}" if env_dir else "the KITLIB_DATA_DIR environment variable (unset)",
        f"the kit's data folder {kit_data_dir()}",
    ]
    lines += [f"the system folder {d}" for d in spec.system_dirs]
    lines.append(f"Keras' cache {keras_cache_dir() / spec.keras_cache[0]} (read only)")
    lines.append(f"a download from {_download_base()} into {kit_data_dir()}")
    return lines


# --------------------------------------------------------------------------- readers


class _Reject(Exception):
    """A candidate that exists but is not usable; the message says why."""


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read one IDX file (``.gz`` or plain) of unsigned bytes into a read-only array.

    Raises ValueError with the reason when the file is not IDX, is truncated or corrupt.
    """
    path = Path(path)
    try:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rb") as f:
            raw = f.read()
    except _READ_ERRORS as exc:
        raise ValueError(f"{path.name}: cannot read ({type(exc).__name__}: {exc}); the file is truncated, "
                         f"corrupt or unreadable") from exc
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise ValueError(f"{path.name}: not an IDX file (bad magic number)")
    if raw[2] != 0x08:
        raise ValueError(f"{path.name}: IDX element type 0x{raw[2]:02x} is not unsigned byte (0x08)")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if ndim == 0 or len(raw) < header:
        raise ValueError(f"{path.name}: IDX header is truncated")
    dims = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    expected = int(np.prod(dims))
    if len(raw) - header != expected:
        raise ValueError(
            f"{path.name}: header promises shape {dims} ({expected} bytes) but the file holds "
            f"{len(raw) - header} bytes; it is truncated or corrupt"
        )
    arr = np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(dims)
    return arr  # frombuffer on bytes is read-only already


def read_npz(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Read the four arrays of a Keras-style ``mnist.npz`` (no pickles). ValueError if unusable."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as archive:
            missing = [k for k in ARRAY_KEYS if k not in archive.files]
            if missing:
                raise ValueError(
                    f"{path.name}: missing array(s) {missing}; found {sorted(archive.files)}. "
                    f"Expected keys {list(ARRAY_KEYS)} as in Keras' mnist.npz"
                )
            arrays = {k: archive[k] for k in ARRAY_KEYS}
    except ValueError:
        raise
    except Exception as exc:  # BadZipFile, EOFError, OSError, zlib.error ...
        raise ValueError(f"{path.name}: cannot read the archive ({type(exc).__name__}: {exc}); "
                         f"it is truncated or corrupt") from exc
    for a in arrays.values():
        a.flags.writeable = False
    return arrays


def array_digest(x_train, y_train, x_test, y_test) -> str:
    """sha256 over the bytes of the four arrays (C order), independent of the file container."""
    h = hashlib.sha256()
    for a in (x_train, y_train, x_test, y_test):
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()


def _check(spec: DatasetSpec, arrays: dict[str, np.ndarray], verify: bool) -> None:
    for key in ARRAY_KEYS:
        a = arrays[key]
        if a.shape != _SHAPES[key] or a.dtype != np.uint8:
            raise _Reject(
                f"{key} has shape {a.shape} and dtype {a.dtype}; expected {_SHAPES[key]} uint8"
            )
    if not verify:
        return
    for key, want in (("y_train", spec.train_counts), ("y_test", spec.test_counts)):
        counts = tuple(np.bincount(arrays[key], minlength=10).tolist())
        if counts != want:
            other = [s.title for s in DATASETS.values() if s is not spec
                     and counts == (s.train_counts if key == "y_train" else s.test_counts)]
            if other:
                raise _Reject(f"this copy holds {other[0]}, not {spec.title}")
            raise _Reject(f"{key} label counts {counts} differ from {spec.title}'s {want}")
    digest = array_digest(*(arrays[k] for k in ARRAY_KEYS))
    if digest != spec.digest:
        raise _Reject(f"array sha256 {digest[:12]}… differs from {spec.title}'s {spec.digest[:12]}… "
                      f"(pixels altered or corrupt)")


def _read_source(src: Source) -> dict[str, np.ndarray]:
    if src.fmt == "npz":
        return read_npz(src.path)
    return dict(zip(ARRAY_KEYS, (read_idx(f) for f in src.files)))


# --------------------------------------------------------------------------- download


def _download_base() -> str:
    return os.environ.get("KITLIB_DOWNLOAD_URL", _KERAS_URL)


def _offline() -> bool:
    return os.environ.get("KITLIB_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}


def _reachable(url: str, deadline: float) -> str | None:
    """None if the host of *url* accepts a TCP connection within *deadline* s, else the reason.

    DNS lookups ignore socket timeouts, so the probe runs in a daemon thread we stop waiting for.
    """
    parts = urllib.parse.urlsplit(url)
    if parts.scheme == "file":
        return None
    host, port = parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)
    result: list[str | None] = []

    def probe():
        try:
            socket.create_connection((host, port), timeout=deadline).close()
            result.append(None)
        except OSError as exc:
            result.append(f"{type(exc).__name__}: {exc}")

    t = threading.Thread(target=probe, daemon=True)
    t.start()
    t.join(deadline)
    if not result:
        return f"no answer from {host}:{port} within {deadline:.1f} s"
    return result[0]


def _download(spec: DatasetSpec, dest: Path, deadline: float = 1.5) -> Source:
    base = _download_base()
    if not base.endswith("/"):
        base += "/"
    reason = _reachable(base, deadline)
    if reason is not None:
        raise _Reject(f"offline? {reason}")
    dest.mkdir(parents=True, exist_ok=True)
    target = dest if spec.download_files[0].endswith(".npz") else dest / spec.folder_names[0]
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for fname in spec.download_files:
        final = target / fname
        if final.exists():
            raise _Reject(f"{final} already exists and was not usable; not overwriting it. "
                          f"Move it away and retry")
        part = final.with_name(final.name + ".part")
        try:
            with urllib.request.urlopen(base + fname, timeout=30) as resp, open(part, "wb") as out:
                shutil.copyfileobj(resp, out)
        except (OSError, urllib.error.URLError) as exc:
            part.unlink(missing_ok=True)  # our own partial file
            for w in written:
                w.unlink(missing_ok=True)
            raise _Reject(f"download of {base + fname} failed: {exc}") from exc
        written.append(part)
    finals = []
    for part in written:
        final = part.with_name(part.name[: -len(".part")])
        part.rename(final)
        finals.append(final)
    if spec.download_files[0].endswith(".npz"):
        return Source(spec.name, "download", finals[0], "npz", tuple(finals))
    return Source(spec.name, "download", target, "idx", tuple(finals))


# --------------------------------------------------------------------------- loading

_CACHE: dict[str, tuple[dict[str, np.ndarray], Source]] = {}
_LAST: dict[str, Source] = {}
_SKIPPED: dict[str, list[tuple[str, str]]] = {}  # copies passed over by the last search, with reasons


def _no_data_message(spec: DatasetSpec, tried: list[tuple[str, str]]) -> str:
    lines = [f"No usable copy of {spec.title} was found, and it could not be downloaded."]
    if tried:
        lines.append("Tried:")
        lines += [f"  - {where}: {why}" for where, why in tried]
    lines.append("Provide the data one of these ways, then run the cell again:")
    lines.append(f"  - set KITLIB_DATA_DIR to a folder holding {spec.npz_names[0]} or the four IDX "
                 f"files (.gz): e.g. export KITLIB_DATA_DIR=../shared/data")
    lines.append(f"  - copy {spec.npz_names[0]} (or a folder '{spec.folder_names[0]}/' of IDX files) into "
                 f"{kit_data_dir()}")
    lines.append("  - pass path=... to load_data()/guide_data()")
    if spec.debian_package:
        where = f" (installs {spec.system_dirs[0]})" if spec.system_dirs else ""
        lines.append(f"  - on Debian/Ubuntu: sudo apt-get install {spec.debian_package}{where}")
    lines.append("  - go online once (and unset KITLIB_OFFLINE) so the kit can download it")
    return "\n".join(lines)


def _try(spec: DatasetSpec, src: Source, verify: bool) -> dict[str, np.ndarray]:
    """Read and verify one copy; _Reject (with the file named) if it is unusable."""
    try:
        arrays = _read_source(src)
    except ValueError as exc:
        raise _Reject(str(exc)) from exc
    except _READ_ERRORS as exc:  # a reader that let one through: still a bad copy, not a crash
        name = getattr(exc, "filename", None) or src.path
        raise _Reject(f"{Path(name).name}: cannot read ({type(exc).__name__}: {exc}); the file is "
                      f"truncated, corrupt or unreadable") from exc
    _check(spec, arrays, verify)
    return arrays


def _locate_and_read(spec: DatasetSpec, path, verify: bool, download: bool | None):
    tried: list[tuple[str, str]] = []
    found, skipped = _search(spec, path)
    for src in found:
        try:
            arrays = _try(spec, src, verify)
            _SKIPPED[spec.name] = skipped + tried
            return arrays, src
        except _Reject as exc:
            tried.append((src.describe(), str(exc)))
    tried += skipped
    if path is not None:  # an explicit path is not silently replaced by another copy
        raise DataNotFoundError(
            f"{spec.title} at {path} is not usable:\n" + "\n".join(f"  - {w}: {r}" for w, r in tried)
        )
    if download is None:
        download = not _offline()
    if download:
        try:
            src = _download(spec, kit_data_dir())
            arrays = _try(spec, src, verify)
            _SKIPPED[spec.name] = tried
            return arrays, src
        except (OSError, ValueError, _Reject) as exc:
            tried.append((f"download from {_download_base()}", str(exc)))
    else:
        tried.append(("download", "skipped (KITLIB_OFFLINE is set)" if _offline() else "skipped (download=False)"))
    raise DataNotFoundError(_no_data_message(spec, tried))


def load_data(name: str = "mnist", path: str | os.PathLike | None = None, *,
              verify: bool = True, download: bool | None = None):
    """Load a dataset the way ``keras.datasets.<name>.load_data()`` returns it, without network.

    Returns ``(x_train, y_train), (x_test, y_test)`` as read-only uint8 arrays
    (images 28×28, labels 0–9). Copies are verified by array checksum; unusable ones are
    skipped (the reason is kept for the error message) and never deleted.
    ``download=None`` downloads only as a last resort and not when ``KITLIB_OFFLINE=1``.
    """
    spec = dataset_spec(name)
    key = f"{spec.name}|{os.fspath(path) if path is not None else ''}|{verify}"
    if key not in _CACHE:
        _CACHE[key] = _locate_and_read(spec, path, verify, download)
    arrays, src = _CACHE[key]
    _LAST[spec.name] = src
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])


def last_source(name: str = "mnist") -> Source | None:
    """Where the most recent successful ``load_data(name)`` found the data (None before any)."""
    return _LAST.get(dataset_spec(name).name)


def _clear_cache() -> None:
    _CACHE.clear()
    _LAST.clear()
    _SKIPPED.clear()


def _copy_atomically(src: Path, target: Path) -> None:
    """Copy *src* to *target* through a new temporary file in the same folder and a rename:
    a killed copy never leaves a partial *target*, and no existing link is followed."""
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as out, open(src, "rb") as inp:
            shutil.copyfileobj(inp, out)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)  # our own temporary file
        raise


def _move_aside(path: Path) -> Path:
    """Rename an unusable file out of the way (never delete a user's file): ``<name>.unusable-<time>``."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    backup = path.with_name(f"{path.name}.unusable-{stamp}")
    n = 1
    while backup.exists() or backup.is_symlink():
        n += 1
        backup = path.with_name(f"{path.name}.unusable-{stamp}-{n}")
    path.rename(backup)
    return backup


def _same_bytes(a: Path, b: Path) -> bool:
    try:
        if a.stat().st_size != b.stat().st_size:
            return False
        with open(a, "rb") as fa, open(b, "rb") as fb:
            while True:
                x, y = fa.read(1 << 20), fb.read(1 << 20)
                if x != y:
                    return False
                if not x:
                    return True
    except OSError:
        return False


def install(name: str = "mnist", dest: str | os.PathLike | None = None, *,
            log=None) -> Path:
    """Leave a verified copy of *name* in the kit's data folder (for ``make data``).

    Takes the first verified copy found (see ``sources()``), copies it into *dest* (default
    the kit's data folder) unless the same bytes are already there, then **reads back and
    verifies what is in place**. A different file already at the target (an unusable or
    altered copy) is moved aside as ``<name>.unusable-<time>``, never deleted. Raises
    :class:`InstallError` (with the fix) if the installed copy does not verify.
    ``log(message)`` receives a line for each file moved aside.
    """
    spec = dataset_spec(name)
    dest = Path(dest).expanduser() if dest is not None else kit_data_dir()
    load_data(spec.name)
    src = last_source(spec.name)
    if src.how in {"kit data dir", "download"} and dest.resolve() == kit_data_dir().resolve():
        installed = Source(spec.name, "installed", src.path, src.fmt, src.files)
    else:
        try:
            dest.mkdir(parents=True, exist_ok=True)
            if src.fmt == "npz":
                target = dest / spec.npz_names[0]
                pairs = [(src.path, target)]
                installed = Source(spec.name, "installed", target, "npz", (target,))
            else:
                target = dest / spec.folder_names[0]
                target.mkdir(exist_ok=True)
                pairs = [(f, target / f.name) for f in src.files]
                installed = Source(spec.name, "installed", target, "idx", tuple(t for _, t in pairs))
            for origin, final in pairs:
                if final.is_symlink() or final.exists():
                    if not final.is_symlink() and final.is_file() and _same_bytes(origin, final):
                        continue
                    backup = _move_aside(final)
                    if log:
                        log(f"moved the unusable {final} aside to {backup.name}")
                _copy_atomically(origin, final)
        except OSError as exc:
            raise InstallError(
                f"cannot write {spec.title} into {dest} ({type(exc).__name__}: {exc.strerror or exc}). "
                f"Make that folder writable, or set KITLIB_CACHE_DIR to a writable folder and run "
                f"`python -m kitlib data --install` again") from exc
    try:
        _try(spec, installed, verify=True)
    except _Reject as exc:
        raise InstallError(
            f"the {spec.title} copy in place at {installed.path} does not verify ({exc}). Move it away "
            f"(or delete it if it is yours to delete), then run `python -m kitlib data --install` again "
            f"with a good copy reachable (KITLIB_DATA_DIR=... or the Keras cache)") from exc
    return installed.path


# --------------------------------------------------------------------------- preprocessing


class GuideData(NamedTuple):
    """The guide's split: 50k train, the last 10k training images as validation, 10k test."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray

    def summary(self) -> str:
        def s(a):
            return f"{a.shape} {a.dtype}"
        return (f"train {s(self.x_train)} / {s(self.y_train)}; val {s(self.x_val)}; "
                f"test {s(self.x_test)}")


def preprocess(images: np.ndarray, labels: np.ndarray, *, flatten: bool = True,
               label_dtype: str = "float32") -> tuple[np.ndarray, np.ndarray]:
    """The guide's preprocessing in one allocation: flatten to 784, scale to [0, 1] float32.

    ``np.divide(uint8, 255, dtype=float32)`` gives exactly ``x.astype("float32") / 255``
    without the intermediate copy (and never goes through float64).
    """
    images = np.asarray(images)
    labels = np.asarray(labels)
    if images.dtype != np.uint8:
        raise TypeError(f"expected uint8 images (0–255), got {images.dtype}; "
                        f"already preprocessed? Scale only raw data")
    if images.ndim != 3 or images.shape[1:] != (28, 28):
        raise ValueError(f"expected images of shape (n, 28, 28), got {images.shape}")
    if labels.shape != (images.shape[0],):
        raise ValueError(f"labels shape {labels.shape} does not match {images.shape[0]} images")
    x = images.reshape(images.shape[0], 784) if flatten else images
    x = np.divide(x, 255, dtype=np.float32)
    return x, labels.astype(label_dtype)


def _count(value, available: int, what: str) -> int:
    if value is None:
        return available
    return V.integer(value, what, low=1, high=available, hint="or None for all")


def guide_data(name: str = "mnist", *, n_train: int | None = None, n_val: int | None = None,
               n_test: int | None = None, validation_size: int = 10000, flatten: bool = True,
               label_dtype: str = "float32", path=None) -> GuideData:
    """Load and preprocess as the guide does, optionally keeping only the first n of each split.

    The validation set is always taken from the *end* of the training data (as the
    guide's ``x_train[-10000:]``), before any subsetting, so a smoke run validates on
    the same kind of samples as a full run. Subsets are converted alone (no full-size copy).
    """
    V.integer(validation_size, "validation_size", low=1, high=59999)
    spec = dataset_spec(name)
    key = f"{spec.name}|{os.fspath(path) if path is not None else ''}|True"
    was_cached = key in _CACHE
    (xtr, ytr), (xte, yte) = load_data(name, path)
    if not was_cached:
        # The uint8 originals (55 MB) are not kept once converted, unless the notebook
        # loaded them itself (then load_data's cache keeps serving them).
        _CACHE.pop(key, None)
    n_fit = xtr.shape[0] - validation_size
    n_train = _count(n_train, n_fit, "n_train")
    n_val = _count(n_val, validation_size, "n_val")
    n_test = _count(n_test, xte.shape[0], "n_test")
    if n_train == n_fit and n_val == validation_size:
        x_all, y_all = preprocess(xtr, ytr, flatten=flatten, label_dtype=label_dtype)
        x_train, y_train = x_all[:n_fit], y_all[:n_fit]  # views, no copy
        x_val, y_val = x_all[n_fit:], y_all[n_fit:]
    else:
        x_train, y_train = preprocess(xtr[:n_train], ytr[:n_train], flatten=flatten, label_dtype=label_dtype)
        x_val, y_val = preprocess(xtr[n_fit:n_fit + n_val], ytr[n_fit:n_fit + n_val],
                                  flatten=flatten, label_dtype=label_dtype)
    x_test, y_test = preprocess(xte[:n_test], yte[:n_test], flatten=flatten, label_dtype=label_dtype)
    return GuideData(x_train, y_train, x_val, y_val, x_test, y_test)


def main_report(name: str) -> str:
    """One line saying where *name* was found (used by ``python -m kitlib data``)."""
    t0 = time.perf_counter()
    load_data(name)
    src = last_source(name)
    spec = dataset_spec(name)
    lines = [f"{spec.title}: {src.describe()}, verified in {time.perf_counter() - t0:.2f} s"]
    lines += [f"  passed over {where}: {why}" for where, why in _SKIPPED.get(spec.name, [])]
    return "\n".join(lines)


# --------------------------------------------------------------------------- class imbalance


def _label_ints(y: np.ndarray, what: str = "y") -> np.ndarray:
    """Integer class ids from int or integral float labels (1-D, or one-hot 2-D)."""
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] > 1:
        y = y.argmax(axis=1)
    elif y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(f"{what} must hold one class id per sample (shape (n,) or one-hot (n, k)), got {y.shape}")
    if y.dtype.kind == "f":
        if not np.all(np.isfinite(y)) or not np.array_equal(y, np.round(y)):
            raise ValueError(f"{what} holds non-integer values; expected class ids such as 0..9")
        y = y.astype(np.int64)
    elif y.dtype.kind not in "iub":
        raise TypeError(f"{what} must hold integer class ids, got dtype {y.dtype}")
    return y


def imbalanced_subset(x, y, rare_class: int, fraction: float, *, seed: int = 0):
    """Make one class rare: keep every sample of the other classes and only ``fraction``
    of ``rare_class`` (chosen at random with ``seed``; at least one sample is kept).

    Returns ``(x_subset, y_subset)``, new arrays in the original order (the kept rare
    samples stay where they were). ``y`` may hold int or integral float class ids.
    For example ``imbalanced_subset(x_train, y_train, rare_class=5, fraction=0.02)``
    keeps 2 % of the fives.
    """
    x = np.asarray(x)
    ids = _label_ints(y)
    if x.shape[0] != ids.shape[0]:
        raise ValueError(f"x has {x.shape[0]} samples but y has {ids.shape[0]}; pass matching arrays")
    V.number(fraction, "fraction", low=0, high=1, low_open=True, hint="e.g. 0.02 keeps 2 % of the class")
    present = np.unique(ids)
    V.integer(rare_class, "rare_class", what="an int class id such as 5")
    if rare_class not in present:
        raise ValueError(f"rare_class={rare_class} does not occur in y; the classes present are "
                         f"{present.tolist()}")
    rare = np.flatnonzero(ids == rare_class)
    n_keep = max(1, int(round(float(fraction) * rare.size)))
    keep = np.random.default_rng(seed).choice(rare, size=n_keep, replace=False)
    mask = ids != rare_class
    mask[keep] = True
    return x[mask], np.asarray(y)[mask]


def class_counts(y, num_classes: int | None = None) -> np.ndarray:
    """How many samples of each class ``y`` holds (int or integral float ids, or one-hot)."""
    ids = _label_ints(y)
    if ids.size and ids.min() < 0:
        raise ValueError("class ids must be >= 0")
    if num_classes is not None and ids.size and ids.max() >= num_classes:
        raise ValueError(f"y holds class {ids.max()} but num_classes={num_classes}")
    return np.bincount(ids, minlength=num_classes or 0)


# --------------------------------------------------------------------------- multi-input, multi-output


class MultiIOData(NamedTuple):
    """Synthetic data for the guide's image + time-series model (notebook 09).

    ``images`` (n, 32, 32, 3) and ``timeseries`` (n, steps, 10) are the inputs;
    ``scores`` (n, 1) is the regression target (each image's brightness offset) and
    ``classes`` (n, 5) the one-hot class, which the time series reveals (feature *c*
    is raised for class *c*). All float32.
    """

    images: np.ndarray
    timeseries: np.ndarray
    scores: np.ndarray
    classes: np.ndarray

    @property
    def class_ids(self) -> np.ndarray:
        """The class of each sample as an int array (argmax of the one-hot ``classes``)."""
        return self.classes.argmax(axis=1)


def multi_io_data(n: int = 100, seed: int = 0, *, timesteps: int = 20, num_classes: int = 5) -> MultiIOData:
    """``n`` seeded samples for the image + time-series model, learnable and small.

    Generated directly as float32 (no float64 copies): 100 samples take about 1.3 MB.
    """
    V.integer(n, "n", low=1, what="an int")
    V.integer(timesteps, "timesteps", low=3)
    V.integer(num_classes, "num_classes", low=2)
    if num_classes > 10:
        raise ValueError(f"num_classes={num_classes} is out of range: num_classes must be an int in 2..10; "
                         f"the time series has 10 features, so at most 10 classes")
    V.integer(seed, "seed", low=0)
    rng = np.random.default_rng(seed)
    brightness = rng.random((n, 1), dtype=np.float32)
    images = rng.random((n, 32, 32, 3), dtype=np.float32)
    images *= 0.5
    images += 0.5 * brightness[:, :, None, None]
    ids = rng.integers(0, num_classes, size=n)
    timeseries = rng.random((n, timesteps, 10), dtype=np.float32)
    timeseries *= 0.5
    timeseries[np.arange(n), :, ids] += 0.5
    classes = np.zeros((n, num_classes), np.float32)
    classes[np.arange(n), ids] = 1.0
    return MultiIOData(images, timeseries, brightness, classes)
