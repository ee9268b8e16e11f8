from __future__ import annotations

import dataclasses
import gzip
import os
import struct
from pathlib import Path

import numpy as np
import pytest

from kitlib import data

# Where the real data comes from for these tests (CI: ../shared/data via KITLIB_DATA_DIR).
_REAL_DIR = os.environ.get("KITLIB_DATA_DIR")


@pytest.fixture(scope="session")
def mnist_arrays():
    """The real MNIST arrays, loaded once with the environment's settings."""
    data._clear_cache()
    try:
        (xtr, ytr), (xte, yte) = data.load_data("mnist", download=False)
    except data.DataNotFoundError as exc:
        pytest.fail(f"the unit tests need MNIST: set KITLIB_DATA_DIR (e.g. ../shared/data)\n{exc}")
    finally:
        data._clear_cache()
    return {"x_train": xtr, "y_train": ytr, "x_test": xte, "y_test": yte}


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """No data anywhere: empty kit dir, Keras cache and system dirs; offline."""
    kit = tmp_path / "kit"
    keras_home = tmp_path / "keras"
    system = tmp_path / "system"
    for name in ("KITLIB_DATA_DIR", "KITLIB_DOWNLOAD_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("KITLIB_CACHE_DIR", str(kit))
    monkeypatch.setenv("KERAS_HOME", str(keras_home))
    monkeypatch.setenv("KITLIB_OFFLINE", "1")
    specs = {k: dataclasses.replace(s, system_dirs=(str(system / k),)) for k, s in data.DATASETS.items()}
    monkeypatch.setattr(data, "DATASETS", specs)
    data._clear_cache()
    yield {"root": tmp_path, "kit": kit, "keras": keras_home / "datasets", "system": system}
    data._clear_cache()


def write_npz(path: Path, arrays: dict, compress: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    (np.savez_compressed if compress else np.savez)(path, **arrays)
    return path


def idx_bytes(a: np.ndarray) -> bytes:
    header = struct.pack(">HBB", 0, 0x08, a.ndim) + b"".join(struct.pack(">I", d) for d in a.shape)
    return header + np.ascontiguousarray(a, dtype=np.uint8).tobytes()


def write_idx(folder: Path, arrays: dict, gz: bool = True) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for stem, key in zip(data.IDX_STEMS, data.ARRAY_KEYS):
        raw = idx_bytes(arrays[key])
        if gz:
            with gzip.open(folder / f"{stem}.gz", "wb", compresslevel=1) as f:
                f.write(raw)
        else:
            (folder / stem).write_bytes(raw)
    return folder


@pytest.fixture
def fashion_like(mnist_arrays):
    """Arrays with Fashion-MNIST's balanced label counts (pixels are MNIST's)."""
    out = dict(mnist_arrays)
    out["y_train"] = np.repeat(np.arange(10, dtype=np.uint8), 6000)
    out["y_test"] = np.repeat(np.arange(10, dtype=np.uint8), 1000)
    return out
