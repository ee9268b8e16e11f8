"""kitlib.data: offline sources in order, verification by array content, bad input."""

from __future__ import annotations

import hashlib
import http.server
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from conftest import write_idx, write_npz
from kitlib import data


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --------------------------------------------------------------------------- names


def test_dataset_names_and_aliases():
    assert data.dataset_spec("mnist").title == "MNIST"
    for alias in ("fashion_mnist", "Fashion-MNIST", "fashion", " fmnist "):
        assert data.dataset_spec(alias).name == "fashion_mnist"
    assert data.class_names("fashion_mnist")[9] == "Ankle boot"
    assert data.class_names("mnist") == tuple("0123456789")


def test_unknown_dataset_name_suggests_the_right_one():
    with pytest.raises(ValueError, match=r"unknown dataset 'minst'.*Did you mean 'mnist'"):
        data.load_data("minst")
    with pytest.raises(ValueError, match="choose one of"):
        data.dataset_spec("cifar10")
    with pytest.raises(TypeError, match="must be a string"):
        data.dataset_spec(10)


# --------------------------------------------------------------------------- sources and order


def test_loads_npz_from_KITLIB_DATA_DIR(isolated, mnist_arrays, monkeypatch, tmp_path):
    folder = tmp_path / "shared"
    write_npz(folder / "mnist.npz", mnist_arrays)
    monkeypatch.setenv("KITLIB_DATA_DIR", str(folder))
    (xtr, ytr), (xte, yte) = data.load_data("mnist")
    assert xtr.shape == (60000, 28, 28) and xtr.dtype == np.uint8
    assert np.array_equal(ytr, mnist_arrays["y_train"]) and np.array_equal(xte, mnist_arrays["x_test"])
    src = data.last_source("mnist")
    assert src.how == "KITLIB_DATA_DIR" and src.fmt == "npz" and src.path == folder / "mnist.npz"


@pytest.mark.parametrize("gz", [True, False], ids=["gzipped", "plain"])
def test_loads_the_four_idx_files(isolated, mnist_arrays, gz):
    write_idx(isolated["kit"] / "mnist", mnist_arrays, gz=gz)
    (xtr, _), (_, yte) = data.load_data("mnist")
    assert np.array_equal(xtr, mnist_arrays["x_train"]) and np.array_equal(yte, mnist_arrays["y_test"])
    assert data.last_source("mnist").fmt == "idx"
    assert data.last_source("mnist").how == "kit data dir"


def test_a_repacked_copy_is_accepted_by_content(isolated, mnist_arrays):
    """Keras rejects (and deletes) an mnist.npz whose file hash differs; kitlib checks arrays."""
    target = write_npz(isolated["keras"] / "mnist.npz", mnist_arrays, compress=True)
    before = sha(target)
    data.load_data("mnist")
    assert data.last_source("mnist").how == "keras cache"
    assert target.exists() and sha(target) == before


def test_sources_are_tried_in_order(isolated, mnist_arrays, monkeypatch, tmp_path):
    write_npz(isolated["keras"] / "mnist.npz", mnist_arrays)
    write_idx(isolated["system"] / "mnist", mnist_arrays)
    data.load_data("mnist")
    assert data.last_source("mnist").how == "system"  # system folders before Keras' cache
    data._clear_cache()
    write_npz(isolated["kit"] / "mnist.npz", mnist_arrays)
    data.load_data("mnist")
    assert data.last_source("mnist").how == "kit data dir"
    data._clear_cache()
    env_dir = tmp_path / "env"
    write_idx(env_dir, mnist_arrays)  # loose IDX files in the folder itself
    monkeypatch.setenv("KITLIB_DATA_DIR", str(env_dir))
    data.load_data("mnist")
    assert data.last_source("mnist").how == "KITLIB_DATA_DIR"
    assert [c.how for c in data.candidates("mnist")] == [
        "KITLIB_DATA_DIR", "kit data dir", "system", "keras cache"]


def test_explicit_path_argument(isolated, mnist_arrays, tmp_path):
    f = write_npz(tmp_path / "elsewhere" / "digits.npz", mnist_arrays)
    data.load_data("mnist", path=f)
    assert data.last_source("mnist").how == "argument"
    data._clear_cache()
    with pytest.raises(FileNotFoundError, match="holds no MNIST data"):
        data.load_data("mnist", path=f.parent)  # a folder is searched for the usual names only
    with pytest.raises(FileNotFoundError, match="does not exist"):
        data.load_data("mnist", path=tmp_path / "nope.npz")
    txt = tmp_path / "notes.txt"
    txt.write_text("hi")
    with pytest.raises(ValueError, match="not an .npz"):
        data.load_data("mnist", path=txt)


def test_folder_argument_without_data_names_the_expected_files(isolated, tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match=r"holds no MNIST data: expected one of mnist.npz"):
        data.load_data("mnist", path=tmp_path / "empty")


def test_explicit_path_is_not_silently_replaced(isolated, mnist_arrays, tmp_path):
    write_npz(isolated["kit"] / "mnist.npz", mnist_arrays)  # a good copy elsewhere
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(data.DataNotFoundError, match="truncated or corrupt"):
        data.load_data("mnist", path=bad)


def test_missing_KITLIB_DATA_DIR_warns_and_continues(isolated, mnist_arrays, monkeypatch, tmp_path):
    write_npz(isolated["kit"] / "mnist.npz", mnist_arrays)
    monkeypatch.setenv("KITLIB_DATA_DIR", str(tmp_path / "typo"))
    with pytest.warns(UserWarning, match="KITLIB_DATA_DIR=.*is not a folder"):
        data.load_data("mnist")
    assert data.last_source("mnist").how == "kit data dir"


# --------------------------------------------------------------------------- bad copies


def test_truncated_npz_is_skipped_and_kept(isolated, mnist_arrays):
    good = write_npz(isolated["keras"] / "mnist.npz", mnist_arrays)
    bad = isolated["kit"] / "mnist.npz"
    bad.parent.mkdir(parents=True)
    bad.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    before = sha(bad)
    data.load_data("mnist")
    assert data.last_source("mnist").how == "keras cache"
    assert bad.exists() and sha(bad) == before, "a user's file must never be deleted or changed"


def test_truncated_idx_gz_is_rejected_with_reason(isolated, mnist_arrays):
    folder = write_idx(isolated["kit"] / "mnist", mnist_arrays)
    f = folder / "train-images-idx3-ubyte.gz"
    f.write_bytes(f.read_bytes()[:-5000])
    with pytest.raises(data.DataNotFoundError) as err:
        data.load_data("mnist")
    msg = str(err.value)
    assert "train-images-idx3-ubyte.gz" in msg and "truncated" in msg
    assert f.exists()


def test_idx_with_short_payload(isolated, mnist_arrays):
    folder = write_idx(isolated["kit"] / "mnist", mnist_arrays, gz=False)
    f = folder / "t10k-labels-idx1-ubyte"
    f.write_bytes(f.read_bytes()[:-10])
    with pytest.raises(ValueError, match=r"header promises shape \(10000,\).*holds 9990 bytes"):
        data.read_idx(f)
    f.write_bytes(b"\x00\x00\x0d\x01" + b"\x00" * 8)
    with pytest.raises(ValueError, match="not unsigned byte"):
        data.read_idx(f)
    f.write_bytes(b"hello world")
    with pytest.raises(ValueError, match="bad magic"):
        data.read_idx(f)


def test_wrong_shapes_are_rejected(isolated, mnist_arrays):
    arrays = dict(mnist_arrays, x_train=mnist_arrays["x_train"].reshape(60000, 784))
    write_npz(isolated["kit"] / "mnist.npz", arrays)
    with pytest.raises(data.DataNotFoundError, match=r"x_train has shape \(60000, 784\).*expected \(60000, 28, 28\)"):
        data.load_data("mnist")


def test_missing_keys_are_named(isolated, mnist_arrays):
    write_npz(isolated["kit"] / "mnist.npz", {"x_train": mnist_arrays["x_train"]})
    with pytest.raises(data.DataNotFoundError, match=r"missing array\(s\) \['y_train', 'x_test', 'y_test'\]"):
        data.load_data("mnist")


def test_the_other_dataset_is_recognised(isolated, fashion_like):
    write_npz(isolated["kit"] / "mnist.npz", fashion_like)
    with pytest.raises(data.DataNotFoundError, match="holds Fashion-MNIST, not MNIST"):
        data.load_data("mnist")


def test_altered_pixels_fail_the_checksum(isolated, mnist_arrays):
    x = mnist_arrays["x_train"].copy()
    x[123, 14, 14] ^= 0xFF
    write_npz(isolated["kit"] / "mnist.npz", dict(mnist_arrays, x_train=x))
    with pytest.raises(data.DataNotFoundError, match="array sha256 .* differs"):
        data.load_data("mnist")
    data._clear_cache()
    (xtr, _), _ = data.load_data("mnist", verify=False)  # shape checks only, on request
    assert xtr[123, 14, 14] == x[123, 14, 14]


# --------------------------------------------------------------------------- nothing found


def test_offline_without_data_fails_fast_and_says_how_to_fix(isolated):
    t0 = time.perf_counter()
    with pytest.raises(data.DataNotFoundError) as err:
        data.load_data("fashion_mnist")
    assert time.perf_counter() - t0 < 2.0
    msg = str(err.value)
    for hint in ("KITLIB_DATA_DIR", "apt-get install dataset-fashion-mnist", "path=", "KITLIB_OFFLINE",
                 str(isolated["kit"])):
        assert hint in msg, hint


def test_unreachable_download_fails_within_two_seconds(isolated, monkeypatch):
    monkeypatch.delenv("KITLIB_OFFLINE")
    # 10.255.255.1 is non-routable: a connect hangs until the kit's own deadline.
    monkeypatch.setenv("KITLIB_DOWNLOAD_URL", "http://10.255.255.1:9/")
    t0 = time.perf_counter()
    with pytest.raises(data.DataNotFoundError, match="download from http://10.255.255.1:9/"):
        data.load_data("mnist")
    assert time.perf_counter() - t0 < 2.0
    assert not any(isolated["kit"].rglob("*.part"))


def _serve(folder: Path):
    handler_cls = type("Quiet", (http.server.SimpleHTTPRequestHandler,),
                       {"log_message": lambda *a: None,
                        "__init__": lambda self, *a, **k: http.server.SimpleHTTPRequestHandler.__init__(
                            self, *a, directory=str(folder), **k)})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler_cls)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_download_as_last_resort_lands_in_the_kit_dir(isolated, mnist_arrays, monkeypatch, tmp_path):
    mirror = tmp_path / "mirror"
    write_npz(mirror / "mnist.npz", mnist_arrays)
    server = _serve(mirror)
    try:
        monkeypatch.delenv("KITLIB_OFFLINE")
        monkeypatch.setenv("KITLIB_DOWNLOAD_URL", f"http://127.0.0.1:{server.server_port}/")
        (xtr, _), _ = data.load_data("mnist")
    finally:
        server.shutdown()
    src = data.last_source("mnist")
    assert src.how == "download" and src.path == isolated["kit"] / "mnist.npz"
    assert np.array_equal(xtr, mnist_arrays["x_train"])
    data._clear_cache()
    data.load_data("mnist")  # next time it is found locally, no network needed
    assert data.last_source("mnist").how == "kit data dir"


def test_download_never_overwrites_an_unusable_file(isolated, mnist_arrays, monkeypatch, tmp_path):
    bad = isolated["kit"] / "mnist.npz"
    bad.parent.mkdir(parents=True)
    bad.write_bytes(b"my own notes, not a dataset")
    mirror = tmp_path / "mirror"
    write_npz(mirror / "mnist.npz", mnist_arrays)
    server = _serve(mirror)
    try:
        monkeypatch.delenv("KITLIB_OFFLINE")
        monkeypatch.setenv("KITLIB_DOWNLOAD_URL", f"http://127.0.0.1:{server.server_port}/")
        with pytest.raises(data.DataNotFoundError, match="already exists and was not usable; not overwriting"):
            data.load_data("mnist")
    finally:
        server.shutdown()
    assert bad.read_bytes() == b"my own notes, not a dataset"


def test_fashion_mnist_from_the_debian_package():
    """CI installs Debian's dataset-fashion-mnist; the kit must find it without configuration."""
    spec = data.dataset_spec("fashion_mnist")
    folder = Path(spec.system_dirs[0])
    assert folder.is_dir(), f"install it: apt-get install {spec.debian_package}"
    data._clear_cache()
    (xtr, ytr), (xte, yte) = data.load_data("fashion_mnist", path=folder)
    assert np.bincount(ytr).tolist() == [6000] * 10 and xte.shape == (10000, 28, 28)
    data._clear_cache()


# --------------------------------------------------------------------------- arrays


def test_loaded_arrays_are_read_only(isolated, mnist_arrays):
    write_npz(isolated["kit"] / "mnist.npz", mnist_arrays)
    (xtr, _), _ = data.load_data("mnist")
    with pytest.raises(ValueError, match="read-only"):
        xtr[0, 0, 0] = 1


def test_array_digest_ignores_the_container(mnist_arrays):
    d = data.array_digest(*(mnist_arrays[k] for k in data.ARRAY_KEYS))
    assert d == data.DATASETS["mnist"].digest
    flipped = mnist_arrays["y_test"].copy()
    flipped[0] = (flipped[0] + 1) % 10
    assert data.array_digest(mnist_arrays["x_train"], mnist_arrays["y_train"],
                             mnist_arrays["x_test"], flipped) != d


def test_install_copies_into_the_kit_dir_once(isolated, mnist_arrays, monkeypatch, tmp_path):
    shared = tmp_path / "shared"
    write_idx(shared / "mnist-idx", mnist_arrays)
    monkeypatch.setenv("KITLIB_DATA_DIR", str(shared))
    target = data.install("mnist")
    assert target == isolated["kit"] / "mnist-idx" or target.parent == isolated["kit"]
    assert sorted(p.name for p in target.iterdir()) == sorted(f"{s}.gz" for s in data.IDX_STEMS)
    mtime = (target / "t10k-labels-idx1-ubyte.gz").stat().st_mtime_ns
    data._clear_cache()
    data.install("mnist")
    assert (target / "t10k-labels-idx1-ubyte.gz").stat().st_mtime_ns == mtime


# --------------------------------------------------------------------------- preprocessing


def test_preprocess_equals_the_guides_code(mnist_arrays):
    x, y = data.preprocess(mnist_arrays["x_test"], mnist_arrays["y_test"])
    guide_x = mnist_arrays["x_test"].reshape(10000, 784).astype("float32") / 255
    assert x.dtype == np.float32 and y.dtype == np.float32
    assert np.array_equal(x, guide_x)  # bit for bit
    assert np.array_equal(y, mnist_arrays["y_test"].astype("float32"))
    x2, y2 = data.preprocess(mnist_arrays["x_test"][:3], mnist_arrays["y_test"][:3], flatten=False,
                             label_dtype="int64")
    assert x2.shape == (3, 28, 28) and y2.dtype == np.int64


def test_preprocess_rejects_bad_input(mnist_arrays):
    x, y = mnist_arrays["x_test"], mnist_arrays["y_test"]
    with pytest.raises(TypeError, match="expected uint8.*already preprocessed"):
        data.preprocess(x.astype("float32"), y)
    with pytest.raises(ValueError, match=r"expected images of shape \(n, 28, 28\)"):
        data.preprocess(x.reshape(10000, 784), y)
    with pytest.raises(ValueError, match="labels shape"):
        data.preprocess(x, y[:10])


def test_guide_split_uses_the_last_10000_training_images(mnist_arrays):
    d = data.guide_data("mnist")
    raw_x, raw_y = mnist_arrays["x_train"], mnist_arrays["y_train"]
    assert d.x_train.shape == (50000, 784) and d.x_val.shape == (10000, 784) and d.x_test.shape == (10000, 784)
    assert np.array_equal(d.x_val[0], raw_x[50000].reshape(784) / np.float32(255))
    assert np.array_equal(d.y_val, raw_y[-10000:].astype("float32"))
    assert np.array_equal(d.y_train, raw_y[:50000].astype("float32"))
    # memory-lean: train and validation are views of one float32 buffer, no float64 anywhere
    assert d.x_train.base is not None and d.x_train.base is d.x_val.base
    assert all(a.dtype == np.float32 for a in d)
    assert "train (50000, 784) float32" in d.summary()


def test_guide_subsets_keep_validation_at_the_end(mnist_arrays):
    d = data.guide_data("mnist", n_train=100, n_val=20, n_test=30)
    assert (len(d.x_train), len(d.x_val), len(d.x_test)) == (100, 20, 30)
    assert np.array_equal(d.y_val, mnist_arrays["y_train"][50000:50020].astype("float32"))
    small = data.guide_data("mnist", validation_size=5000, n_val=10)
    assert small.x_train.shape[0] == 55000


@pytest.mark.parametrize("kwargs, err", [
    ({"n_train": 0}, ValueError), ({"n_train": 50001}, ValueError), ({"n_val": 10001}, ValueError),
    ({"n_test": 2.5}, TypeError), ({"n_train": True}, TypeError), ({"validation_size": 60000}, ValueError),
])
def test_guide_data_rejects_bad_sizes(kwargs, err):
    with pytest.raises(err, match="n_|validation_size"):
        data.guide_data("mnist", **kwargs)


def test_sources_lists_every_place(isolated):
    places = data.sources("fashion_mnist")
    assert places[0].startswith("the path= argument")
    assert any("/fashion_mnist" in p or "fashion-mnist" in p for p in places)
    assert places[-1].startswith("a download from")


def test_guide_data_does_not_keep_the_uint8_originals(isolated, mnist_arrays):
    write_npz(isolated["kit"] / "mnist.npz", mnist_arrays)
    data.guide_data("mnist", n_train=10, n_val=10, n_test=10)
    assert data._CACHE == {}, "55 MB of uint8 arrays would stay alive for nothing"
    assert data.last_source("mnist").how == "kit data dir"
    data.load_data("mnist")  # a notebook that loads the originals itself keeps them cached
    data.guide_data("mnist", n_train=10, n_val=10, n_test=10)
    assert len(data._CACHE) == 1


# --------------------------------------------------------------------------- unreadable and damaged copies


@pytest.fixture
def unreadable(monkeypatch):
    """Make folders unreadable: mode 000 (enough for a normal user) and, because root reads
    through mode 000, the file-system calls the search uses raise PermissionError under them."""
    import builtins
    import errno
    import os
    import pathlib

    blocked: list[Path] = []

    def under(p) -> bool:
        try:
            p = Path(os.fsdecode(p)).absolute()
        except TypeError:
            return False
        return any(p == b or b in p.parents for b in blocked)

    def deny(p):
        raise PermissionError(errno.EACCES, "Permission denied", str(p))

    real_stat, real_open, real_scandir = pathlib.Path.stat, builtins.open, os.scandir

    def stat(self, *a, **k):
        # the folder itself can be stat'ed (ls -ld works on a mode 000 folder); what is inside cannot
        if under(self) and Path(self).absolute() not in blocked:
            deny(self)
        return real_stat(self, *a, **k)

    def open_(file, *a, **k):
        if isinstance(file, (str, bytes, os.PathLike)) and under(file):
            deny(file)
        return real_open(file, *a, **k)

    def scandir(path="."):
        if under(path):
            deny(path)
        return real_scandir(path)

    monkeypatch.setattr(pathlib.Path, "stat", stat)
    monkeypatch.setattr(builtins, "open", open_)
    monkeypatch.setattr(os, "scandir", scandir)

    def block(folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(0)
        blocked.append(folder.absolute())
        return folder

    yield block
    for folder in blocked:
        folder.chmod(0o755)


@pytest.mark.parametrize("where", ["keras", "kit", "system"])
def test_an_unreadable_location_is_skipped_and_the_search_goes_on(isolated, mnist_arrays, unreadable,
                                                                  monkeypatch, tmp_path, where):
    shared = write_npz(tmp_path / "shared" / "mnist.npz", mnist_arrays).parent
    blocked = {"keras": isolated["keras"], "kit": isolated["kit"], "system": isolated["system"] / "mnist"}[where]
    write_npz(blocked / "mnist.npz", mnist_arrays)
    unreadable(blocked)
    # a verified copy earlier in the order: the unreadable folder later must not matter
    monkeypatch.setenv("KITLIB_DATA_DIR", str(shared))
    data.load_data("mnist")
    assert data.last_source("mnist").how == "KITLIB_DATA_DIR"
    monkeypatch.delenv("KITLIB_DATA_DIR")
    data._clear_cache()
    if where == "keras":  # the last place: nothing left, the reason is in the error
        with pytest.raises(data.DataNotFoundError) as err:
            data.load_data("mnist", download=False)
        assert "cannot read this location (PermissionError" in str(err.value)
    else:  # passed over with its reason, the search goes on to the Keras cache
        write_npz(isolated["keras"] / "mnist.npz", mnist_arrays)
        data.load_data("mnist")
        assert data.last_source("mnist").how == "keras cache"
        report = data.main_report("mnist")
        assert "passed over" in report and "PermissionError" in report


def test_data_command_prints_no_traceback_for_an_unreadable_keras_cache(isolated, mnist_arrays, unreadable,
                                                                       capsys):
    from kitlib.__main__ import main
    write_npz(isolated["kit"] / "mnist.npz", mnist_arrays)
    unreadable(isolated["keras"])
    assert main(["data", "--require", "mnist"]) == 0
    out = capsys.readouterr()
    assert "MNIST:" in out.out and "verified in" in out.out and "Traceback" not in out.out + out.err
    data._clear_cache()
    (isolated["kit"] / "mnist.npz").unlink()  # our own test file
    assert main(["data", "--require", "mnist"]) == 1
    out = capsys.readouterr()
    assert "MNIST: ERROR" in out.out and "PermissionError" in out.err and "Traceback" not in out.err


def _gz_with(raw: bytes, damage: str) -> bytes:
    import gzip
    import zlib
    blob = bytearray(gzip.compress(raw, compresslevel=6, mtime=0))
    if damage == "flipped byte":  # inside the deflate stream, not a truncation
        for pos in range(20, len(blob) - 8):
            trial = bytearray(blob)
            trial[pos] ^= 0xFF
            try:
                gzip.decompress(bytes(trial))
            except zlib.error:
                return bytes(trial)
            except Exception:
                continue
        raise AssertionError("no position gives a zlib.error")
    if damage == "crc":
        blob[-8] ^= 0xFF
        return bytes(blob)
    if damage == "cut":
        return bytes(blob[: len(blob) // 2])
    if damage == "not gzip":
        return raw
    raise ValueError(damage)


@pytest.mark.parametrize("damage, error", [("flipped byte", "error"), ("crc", "CRC check failed"),
                                           ("cut", "EOFError"), ("not gzip", "Not a gzipped file")])
def test_a_corrupt_gz_is_a_bad_copy_and_later_copies_are_tried(isolated, mnist_arrays, damage, error):
    import gzip
    bad = isolated["kit"] / "mnist"
    bad.mkdir(parents=True)
    raw = b"\0\0\x08\x03" + b"\0\0\0\x02\0\0\0\x1c\0\0\0\x1c" + bytes(range(256)) * 6 + bytes(2 * 784 - 1536)
    (bad / "train-images-idx3-ubyte.gz").write_bytes(_gz_with(raw, damage))
    for stem in data.IDX_STEMS[1:]:
        (bad / f"{stem}.gz").write_bytes(gzip.compress(b"\0\0\x08\x01\0\0\0\0"))
    with pytest.raises(ValueError, match=rf"train-images-idx3-ubyte.gz: cannot read .*{error}"):
        data.read_idx(bad / "train-images-idx3-ubyte.gz")
    with pytest.raises(data.DataNotFoundError, match="train-images-idx3-ubyte.gz: cannot read"):
        data.load_data("mnist")
    data._clear_cache()
    write_npz(isolated["keras"] / "mnist.npz", mnist_arrays)
    data.load_data("mnist")
    assert data.last_source("mnist").how == "keras cache"
    assert "train-images-idx3-ubyte.gz" in data.main_report("mnist")


def test_a_damaged_npz_is_a_bad_copy_with_its_name(isolated, mnist_arrays, tmp_path):
    good = write_npz(tmp_path / "good" / "mnist.npz", mnist_arrays, compress=True)
    blob = bytearray(good.read_bytes())
    blob[len(blob) // 2] ^= 0xFF  # inside a deflated member
    (isolated["kit"]).mkdir(parents=True)
    (isolated["kit"] / "mnist.npz").write_bytes(bytes(blob))
    (isolated["system"] / "mnist").mkdir(parents=True)
    (isolated["system"] / "mnist" / "mnist.npz").write_bytes(b"PK\3\4 not really a zip")
    write_npz(isolated["keras"] / "mnist.npz", mnist_arrays)
    data.load_data("mnist")
    assert data.last_source("mnist").how == "keras cache"
    report = data.main_report("mnist")
    assert report.count("mnist.npz: cannot read the archive") == 2


def test_install_replaces_an_unusable_copy_and_keeps_it_aside(isolated, mnist_arrays, monkeypatch, tmp_path):
    shared = write_npz(tmp_path / "shared" / "mnist.npz", mnist_arrays).parent
    monkeypatch.setenv("KITLIB_DATA_DIR", str(shared))
    bad = isolated["kit"] / "mnist.npz"
    bad.parent.mkdir(parents=True)
    bad.write_bytes(b"not an archive")
    target = data.install("mnist")
    assert target == bad
    backups = list(isolated["kit"].glob("mnist.npz.unusable-*"))
    assert len(backups) == 1 and backups[0].read_bytes() == b"not an archive", "never delete a user's file"
    monkeypatch.delenv("KITLIB_DATA_DIR")
    data._clear_cache()
    data.load_data("mnist")
    assert data.last_source("mnist").path == bad


def test_install_fails_when_what_it_leaves_does_not_verify(isolated, mnist_arrays, monkeypatch, tmp_path):
    shared = write_npz(tmp_path / "shared" / "mnist.npz", mnist_arrays).parent
    monkeypatch.setenv("KITLIB_DATA_DIR", str(shared))
    real_copy = data._copy_atomically

    def bad_copy(src, target):  # a disk that corrupts what is written
        real_copy(src, target)
        target.write_bytes(target.read_bytes()[:1000])
    monkeypatch.setattr(data, "_copy_atomically", bad_copy)
    with pytest.raises(data.InstallError, match=r"does not verify.*run `python -m kitlib data --install` again"):
        data.install("mnist")


def test_data_install_command_exits_non_zero_with_the_fix(isolated, mnist_arrays, monkeypatch, tmp_path, capsys):
    from kitlib.__main__ import main
    shared = write_npz(tmp_path / "shared" / "mnist.npz", mnist_arrays).parent
    monkeypatch.setenv("KITLIB_DATA_DIR", str(shared))
    isolated["kit"].mkdir(parents=True)
    monkeypatch.setattr(data, "_copy_atomically", lambda src, target: target.write_bytes(b"junk"))
    assert main(["data", "--install", "--require", "mnist"]) == 1
    out = capsys.readouterr()
    assert "MNIST: NOT INSTALLED" in out.out and "does not verify" in out.err and "installed and" not in out.out
