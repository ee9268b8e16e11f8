"""kitlib.runtime: setup, seeding/determinism, modes, work dirs, metrics, report, log filter."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

import kitlib
from kitlib import runtime


@pytest.fixture
def kit(tmp_path, monkeypatch):
    monkeypatch.setenv("KITLIB_WORK_DIR", str(tmp_path / "work"))
    monkeypatch.delenv("KITLIB_METRICS_DIR", raising=False)
    return kitlib.setup("unit_test", smoke=True, seed=7, show=False)


def test_setup_returns_a_kit_with_mode_seed_and_workdir(kit, tmp_path):
    assert kit.smoke and kit.mode == "smoke" and kit.seed == 7
    assert kit.workdir == (tmp_path / "work" / "unit_test").resolve() and kit.workdir.is_dir()
    assert "smoke mode, seed 7, op determinism on" in repr(kit)


def test_setup_prints_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KITLIB_WORK_DIR", str(tmp_path))
    kitlib.setup("printing", smoke=False, seed=1)
    assert capsys.readouterr().out.strip() == "kitlib: printing in full mode, seed 1, op determinism on"


@pytest.mark.parametrize("kwargs, err, match", [
    ({"notebook": "../escape"}, ValueError, "simple name"),
    ({"notebook": ""}, ValueError, "simple name"),
    ({"notebook": 1}, TypeError, "notebook must be a str"),
    ({"notebook": "x\n"}, ValueError, "simple name"),
    ({"notebook": "a/b"}, ValueError, "simple name"),
    ({"notebook": "tab\there"}, ValueError, "simple name"),
    ({"notebook": "nul\x00"}, ValueError, "simple name"),
    ({"notebook": "esc\x1b[31m"}, ValueError, "simple name"),
    ({"notebook": "x" * 101}, ValueError, "simple name"),
    ({"notebook": "ok", "smoke": "yes"}, TypeError, "smoke must be True or False"),
    ({"notebook": "ok", "seed": -1}, ValueError, "non-negative int"),
    ({"notebook": "ok", "seed": 1.5}, TypeError, "non-negative int"),
])
def test_setup_rejects_bad_arguments(kwargs, err, match, tmp_path, monkeypatch):
    monkeypatch.setenv("KITLIB_WORK_DIR", str(tmp_path))
    with pytest.raises(err, match=match):
        kitlib.setup(show=False, **kwargs)
    assert [p.name for p in tmp_path.iterdir() if p.name != "ok"] == [], "nothing created for a bad name"


def _train_once(kit):
    kit.reseed()
    model = kitlib.models.get_compiled_model()
    rng = np.random.default_rng(0)
    x = rng.random((256, 784), dtype=np.float32)
    y = rng.integers(0, 10, 256).astype("float32")
    h = model.fit(x, y, batch_size=32, epochs=2, verbose=0)
    return h.history["loss"], [w.copy() for w in model.get_weights()]


def test_reseed_makes_training_repeatable(kit):
    loss1, w1 = _train_once(kit)
    loss2, w2 = _train_once(kit)
    assert loss1 == loss2
    assert all(np.array_equal(a, b) for a, b in zip(w1, w2))


def test_a_different_seed_gives_different_weights(kit):
    _, w1 = _train_once(kit)
    kit.seed = 8
    _, w2 = _train_once(kit)
    assert not np.array_equal(w1[0], w2[0])


def test_mode_helpers(kit):
    assert kit.epochs(5) == 1 and kit.epochs(5, smoke=2) == 2 and kit.pick("big", "small") == "small"
    kit.smoke = False
    assert kit.epochs(5) == 5 and kit.pick("big", "small") == "big"
    with pytest.raises(ValueError, match="positive int"):
        kit.epochs(0)
    with pytest.raises(TypeError, match="positive int"):
        kit.epochs(2, smoke=True)


def test_mnist_in_smoke_mode_is_small_and_overridable(kit):
    d = kit.mnist()
    assert (len(d.x_train), len(d.x_val), len(d.x_test)) == (2048, 512, 512)
    d = kit.mnist(n_train=64)
    assert len(d.x_train) == 64 and len(d.x_val) == 512


def test_paths_stay_inside_the_work_dir(kit):
    p = kit.path("sub", "file.txt")
    assert p.parent.is_dir() and p.parent.parent == kit.workdir.resolve()
    with pytest.raises(ValueError, match="leaves the work directory"):
        kit.path("..", "outside.txt")


def test_fresh_dir_empties_only_its_own_subfolder(kit):
    d = kit.fresh_dir("ckpt")
    (d / "old.keras").write_text("x")
    keep = kit.path("keep.txt")
    keep.write_text("mine")
    d2 = kit.fresh_dir("ckpt")
    assert d2 == d and list(d2.iterdir()) == []
    assert keep.read_text() == "mine"
    with pytest.raises(ValueError, match="needs a sub-folder name"):
        kit.fresh_dir()
    with pytest.raises(ValueError, match="cannot empty the whole work directory"):
        kit.fresh_dir(".")


def test_record_writes_json_for_the_tests(kit, tmp_path, monkeypatch):
    kit.record(acc=np.float32(0.5), history={"loss": [np.float64(1.0), 0.5]}, n=np.int64(3))
    saved = json.loads(kit.metrics_file.read_text())
    assert saved["metrics"] == {"acc": 0.5, "history": {"loss": [1.0, 0.5]}, "n": 3}
    assert saved["mode"] == "smoke" and saved["notebook"] == "unit_test"
    monkeypatch.setenv("KITLIB_METRICS_DIR", str(tmp_path / "m"))
    kit.record(extra=[1, 2])
    assert json.loads((tmp_path / "m" / "unit_test.json").read_text())["metrics"]["extra"] == [1, 2]


def test_record_rejects_what_is_not_a_number(kit):
    with pytest.raises(TypeError, match="record numbers"):
        kit.record(model=object())
    with pytest.raises(ValueError, match="needs name=value"):
        kit.record()


def test_environment_report_lists_versions_devices_and_data(kit):
    rep = kit.report()
    rows = rep.rows
    for key in ("python", "tensorflow", "keras", "devices", "data: MNIST", "data: Fashion-MNIST", "mode"):
        assert key in rows, key
    assert rows["tensorflow"].startswith("2.21")
    assert rows["keras"].startswith("3.") and "backend tensorflow" in rows["keras"]
    assert "verified" in rows["data: MNIST"]
    assert rows["mode"] == "smoke"
    assert "<table>" in rep._repr_html_() and "tensorflow" in str(rep)


def test_environment_report_without_data(monkeypatch, tmp_path):
    import dataclasses
    from kitlib import data
    monkeypatch.delenv("KITLIB_DATA_DIR", raising=False)
    monkeypatch.setenv("KITLIB_CACHE_DIR", str(tmp_path / "kit"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setattr(data, "DATASETS", {k: dataclasses.replace(s, system_dirs=()) for k, s in data.DATASETS.items()})
    data._clear_cache()
    rows = runtime.environment_report().rows
    data._clear_cache()
    assert rows["data: MNIST"].startswith("not found")
    assert runtime.environment_report(verify_data=False).rows["data: MNIST"] == "not found locally"


def test_filter_lines_drops_cpp_log_noise_only():
    text = (b"WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
            b"I0000 00:00:1795442130.321885    5068 port.cc:153] oneDNN custom operations are on.\n"
            b"W0000 00:00:1795442130.321885    5068 foo.cc:1] a warning\n"
            b"E0000 00:00:1795442130.321885    5068 node_def_util.cc:682] NodeDef mentions attribute "
            b"use_unbounded_threadpool which is not in the op definition\n"
            b"E0000 00:00:1795442130.321885    5068 real.cc:9] a real error\n"
            b"UserWarning: something a learner should see\n")
    kept = runtime.filter_lines(text, level=2)
    assert kept == (b"E0000 00:00:1795442130.321885    5068 real.cc:9] a real error\n"
                    b"UserWarning: something a learner should see\n")
    assert b"a warning" in runtime.filter_lines(text, level=1)
    assert b"real error" not in runtime.filter_lines(text, level=3)


def test_importing_kitlib_is_light_and_quiets_tensorflow():
    code = ("import sys, os, kitlib; "
            "print('tensorflow' in sys.modules, os.environ['TF_CPP_MIN_LOG_LEVEL'], os.environ['KERAS_BACKEND'])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PATH": "/usr/bin:/bin"}).stdout.split()
    assert out == ["False", "2", "tensorflow"]


def test_unknown_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        kitlib.nope


def test_claim_passes_prints_and_records(kit, capsys):
    out = kit.claim("true positives match numpy", np.int64(233), 233, record="tp")
    assert out is None  # a statement, not a value: nothing extra to print in a notebook
    assert capsys.readouterr().out.strip() == "✔ true positives match numpy: 233"
    assert kit.metrics["tp"] == 233
    kit.claim("loss equals the weighted sum", 0.30000001, 0.3, rtol=1e-6)
    kit.claim("shapes", (2, 3), [2, 3])
    capsys.readouterr()
    kit.claim("a whole-number float", 70920.0, 70920)
    kit.claim("a fraction", 0.123456, 0.123456)
    kit.claim("a small count", 211, 211)
    assert capsys.readouterr().out.splitlines() == ["✔ a whole-number float: 70,920", "✔ a fraction: 0.1235",
                                                    "✔ a small count: 211"]


def test_claim_failure_stops_the_notebook(kit):
    with pytest.raises(runtime.ClaimFailed, match=r"counts agree: got 14249, expected 233"):
        kit.claim("counts agree", 14249, 233)
    with pytest.raises(AssertionError, match=r"rtol=0.001"):
        kit.claim("close", 1.0, 1.1, rtol=1e-3)
    with pytest.raises(runtime.ClaimFailed):
        kit.claim("dicts", {"a": 1.0}, {"a": 1.0, "b": 2.0})


def test_submodules_are_reachable_lazily():
    assert "data" in dir(kitlib) and "runtime" in dir(kitlib)
    assert kitlib.models.get_compiled_model is not None


def test_setup_keeps_tensorflow_python_warnings_quiet(tmp_path, monkeypatch):
    import logging
    monkeypatch.setenv("KITLIB_WORK_DIR", str(tmp_path))
    logging.getLogger("tensorflow").setLevel(logging.INFO)  # what importing TensorFlow does
    kitlib.setup("quiet", show=False)
    assert logging.getLogger("tensorflow").getEffectiveLevel() == logging.ERROR


# --------------------------------------------------------------------------- work directories

_HOLDER = """
import sys
from pathlib import Path
from kitlib import runtime
folder, note = runtime._claim_workdir(Path(sys.argv[1]), sys.argv[2])
(folder / "ckpt").mkdir(exist_ok=True)
(folder / "ckpt" / "theirs.keras").write_text("their checkpoint")
print(folder, flush=True)
sys.stdin.readline()   # hold the work directory until the test says stop
"""


def _hold(root, name):
    import os
    proc = subprocess.Popen([sys.executable, "-c", _HOLDER, str(root), name], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": _repo()})
    line = proc.stdout.readline().strip()
    assert line, "the holder process did not start"
    return proc, line


def _repo():
    from pathlib import Path
    return str(Path(kitlib.__file__).resolve().parent.parent)


def _release(proc):
    proc.stdin.write("\n")
    proc.stdin.flush()
    proc.wait(timeout=30)


def test_a_second_running_copy_of_a_notebook_gets_its_own_work_dir(tmp_path, monkeypatch, capsys):
    root = tmp_path / "work"
    monkeypatch.setenv("KITLIB_WORK_DIR", str(root))
    other, theirs = _hold(root, "10_copies")
    try:
        assert theirs == str(root / "10_copies")
        kit = kitlib.setup("10_copies", smoke=True)
        out = capsys.readouterr().out
        assert kit.workdir == root / "10_copies+2"
        assert f"pid {other.pid}" in out and "10_copies+2" in out and "neither removes the other's files" in out
        kit.fresh_dir("ckpt")
        assert (root / "10_copies" / "ckpt" / "theirs.keras").read_text() == "their checkpoint"
        # rerunning the setup cell in this kernel keeps this copy's folder
        assert kitlib.setup("10_copies", smoke=True, show=False).workdir == kit.workdir
    finally:
        _release(other)
    # a kernel that ended (even killed) leaves no lock behind: the next run gets the usual folder
    proc, again = _hold(root, "10_copies")
    _release(proc)
    assert again == str(root / "10_copies")


def test_a_read_only_checkout_falls_back_to_a_per_user_folder_and_says_so(tmp_path, monkeypatch, capsys):
    from kitlib import data
    checkout = tmp_path / "checkout"
    (checkout / "work").mkdir(parents=True)
    for p in (checkout / "work", checkout):
        p.chmod(0o555)  # as after `chmod -R a-w`; root could still write, the kit must not
    monkeypatch.setattr(data, "_project_root", lambda: checkout)
    monkeypatch.delenv("KITLIB_WORK_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    try:
        kit = kitlib.setup("ro_checkout", smoke=True)
        out = capsys.readouterr().out
        assert kit.workdir == tmp_path / "cache" / "kitlib" / "work" / "ro_checkout"
        assert f"{checkout / 'work'} is read-only" in out and str(kit.workdir.parent) in out
        assert "KITLIB_WORK_DIR" in out
        assert list((checkout / "work").iterdir()) == []
        kit.path("model.keras").write_text("x")
        monkeypatch.setenv("KITLIB_WORK_DIR", str(tmp_path / "mine"))
        assert runtime.work_root() == tmp_path / "mine"
    finally:
        for p in (checkout, checkout / "work"):
            p.chmod(0o755)


def test_an_unwritable_KITLIB_WORK_DIR_is_a_clear_error(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("KITLIB_WORK_DIR", str(blocker / "work"))
    with pytest.raises(runtime.WorkDirError, match="set KITLIB_WORK_DIR to a writable folder"):
        kitlib.setup("blocked", show=False)
