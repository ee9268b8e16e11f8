"""tests/nbharness: how recorded metrics are held against the bands of the baselines."""

from __future__ import annotations

import nbharness as H


TOL = {"smoke": {"max_relative_spread": 0.02,
                 "cpu": {"band_factor": 1.0, "rtol": 1e-5, "atol": 1e-6},
                 "gpu": {"band_factor": 0.25, "rtol": 1e-4, "atol": 1e-5}}}


def _bands(by_env, by_seed=None):
    flat_env = {e: H.flatten(m) for e, m in by_env.items()}
    flat_seed = {s: H.flatten(m) for s, m in (by_seed or {42: by_env["default"]}).items()}
    entries, issues = H.make_bands(flat_env, flat_seed, TOL["smoke"])
    return {"metrics": entries}, issues


def _cmp(baseline, actual, profile="cpu"):
    return H.compare(baseline, actual, "smoke", profile, where="nb", tolerance=TOL)


def test_flatten_names_every_leaf_by_its_path():
    flat = H.flatten({"history": {"loss": [1.0, 0.5]}, "a/b": {"x~y": 3}, "empty": []})
    assert flat == {"history/loss/0": 1.0, "history/loss/1": 0.5, "a~1b/x~0y": 3, "empty": []}


def test_band_is_min_max_over_environments_and_the_margin_widens_it():
    base, issues = _bands({"default": {"acc": 0.950}, "onednn-off": {"acc": 0.952}, "threads-1": {"acc": 0.951}})
    assert issues == [] and base["metrics"]["acc"]["cpu"] == [0.950, 0.952]
    assert base["metrics"]["acc"]["center"] == 0.950
    assert _cmp(base, {"acc": 0.9535}) == []          # inside band + one band width
    problems = _cmp(base, {"acc": 0.9545})            # beyond it: a real change
    assert problems and "nb:acc" in problems[0] and "outside" in problems[0]


def test_identical_values_get_the_rounding_floor_only():
    base, _ = _bands({"default": {"n": 211.0}, "threads-1": {"n": 211.0}})
    assert _cmp(base, {"n": 211.0}) == [] and _cmp(base, {"n": 211.001}) == []   # 1e-5 relative
    assert _cmp(base, {"n": 212.0})


def test_gpu_profile_uses_the_seed_band():
    base, _ = _bands({"default": {"acc": 0.95}, "threads-1": {"acc": 0.95}},
                     {42: {"acc": 0.95}, 1: {"acc": 0.94}, 2: {"acc": 0.955}})
    assert base["metrics"]["acc"]["seeds"] == [0.94, 0.955]
    assert _cmp(base, {"acc": 0.945}, "gpu") == [] and _cmp(base, {"acc": 0.945}, "cpu")


def test_chaotic_and_discrete_values_are_refused():
    _, issues = _bands({"default": {"acc": 0.39}, "isa-avx": {"acc": 0.42}})
    assert issues and "chaotic" in issues[0]
    _, issues = _bands({"default": {"h": [1.0, 0.9, 0.8]}, "threads-1": {"h": [1.0, 0.9]}})
    assert issues and "h/2" in issues[0] and "discrete" in issues[0]
    _, issues = _bands({"default": {"best": "epoch 4"}, "threads-1": {"best": "epoch 5"}})
    assert issues and "different values" in issues[0]


def test_missing_and_new_metrics_are_reported():
    base, _ = _bands({"default": {"a": 1.0, "b": 2.0}})
    problems = _cmp(base, {"a": 1.0, "c": 3.0})
    assert any("nb:b: missing" in p for p in problems)
    assert any("nb:c: new value" in p for p in problems)


def test_nan_and_strings_must_match_exactly():
    nan = float("nan")
    base, issues = _bands({"default": {"x": nan, "s": "adam"}, "threads-1": {"x": nan, "s": "adam"}})
    assert issues == []
    assert _cmp(base, {"x": nan, "s": "adam"}) == []
    assert _cmp(base, {"x": 1.0, "s": "adam"}) and _cmp(base, {"x": nan, "s": "sgd"})


def test_the_committed_tolerance_table_names_its_reasons():
    table = H.load_tolerance()
    for mode in ("smoke", "full"):
        assert 0 < table[mode]["max_relative_spread"] < 0.1
        for profile in ("cpu", "gpu"):
            spec = table[mode][profile]
            assert spec["why"].strip() and spec["band_factor"] >= 0 and spec["rtol"] > 0
    # The gpu profile is never tighter than the cpu one.
    for mode in ("smoke", "full"):
        assert table[mode]["gpu"]["rtol"] >= table[mode]["cpu"]["rtol"]


def test_probe_reports_the_kernels_own_peak_not_its_parents():
    """A kernel started by a big process (a pytest worker with TensorFlow loaded) must not
    report the parent's peak RSS as its own (ru_maxrss is inherited across vfork + exec)."""
    import json
    import subprocess
    import sys

    import numpy as np

    import nbharness as H

    ballast = np.ones(64 * 2**20, dtype=np.uint8)  # 64 MB resident in this (parent) process
    out = subprocess.run([sys.executable, "-c", H._PROBE_SOURCE], capture_output=True, text=True, check=True)
    del ballast
    line = next(x for x in out.stdout.splitlines() if x.startswith(H._PROBE_MARK))
    probe = json.loads(line[len(H._PROBE_MARK):])
    assert probe["executable"] == sys.executable
    import resource
    parent_peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert 1_000 < probe["peak_rss_kb"] < 64 * 1024 < parent_peak_kb  # a bare interpreter: ~10 MB


def test_a_trained_number_gets_the_trained_floor_and_an_exact_one_does_not():
    tol = {"smoke": {"cpu": {"band_factor": 1.0, "rtol": 2e-5, "atol": 1e-6, "rtol_trained": 0.015}}}
    trained = {"metrics": {"acc": {"center": 0.6, "cpu": [0.6, 0.6], "seeds": [0.58, 0.62]}}}
    exact = {"metrics": {"steps": {"center": 1782.0, "cpu": [1782.0, 1782.0], "seeds": [1782.0, 1782.0]}}}
    assert H.compare(trained, {"acc": 0.607}, "smoke", "cpu", tolerance=tol) == []
    assert H.compare(trained, {"acc": 0.615}, "smoke", "cpu", tolerance=tol)
    assert H.compare(exact, {"steps": 1782.0}, "smoke", "cpu", tolerance=tol) == []
    assert H.compare(exact, {"steps": 1783.0}, "smoke", "cpu", tolerance=tol)


def test_the_committed_bands_hold_the_numbers_of_a_machine_outside_the_ensemble():
    """Issue 12 reported smoke values from a 2-core Intel Xeon with AVX-512/AMX; the ensemble
    ran on an AVX2 AMD EPYC, where every setting gave 0.5965 / 0.7976. They must pass, and a
    real change of a few points must not."""
    baseline = H.load_baseline("smoke", "05_validation")
    keys = ["history_shuffled/sparse_categorical_accuracy/0", "history_shuffled/val_sparse_categorical_accuracy/0"]
    subset = {"metrics": {k: baseline["metrics"][k] for k in keys}}
    xeon = {"history_shuffled": {"sparse_categorical_accuracy": [0.593407], "val_sparse_categorical_accuracy": [0.802439]}}
    assert H.compare(subset, xeon, "smoke") == []
    worse = {"history_shuffled": {"sparse_categorical_accuracy": [0.575], "val_sparse_categorical_accuracy": [0.78]}}
    assert len(H.compare(subset, worse, "smoke")) == 2


def test_merging_a_second_machine_widens_bands_and_refuses_what_disagrees():
    import sys

    sys.path.insert(0, str(H.ROOT / "tools"))
    import ensemble as E

    first, _ = _bands({"default": {"acc": 0.950, "n": 211, "gone": 1.0}, "threads-1": {"acc": 0.951, "n": 211,
                                                                                       "gone": 1.0}})
    second, _ = _bands({"default": {"acc": 0.947, "n": 211, "new": 2.0}, "isa-avx2": {"acc": 0.948, "n": 211,
                                                                                      "new": 2.0}})
    merged, issues = E.merge_bands(first["metrics"], second["metrics"], TOL["smoke"])
    assert issues == []
    assert merged["acc"]["cpu"] == [0.947, 0.951] and merged["acc"]["center"] == 0.947
    assert merged["acc"]["seeds"][0] <= 0.947 and merged["acc"]["seeds"][1] >= 0.951
    assert "gone" not in merged and merged["new"] == second["metrics"]["new"]
    assert _cmp({"metrics": merged}, {"acc": 0.9505, "n": 211, "new": 2.0}) == []   # first machine's number
    assert _cmp({"metrics": merged}, {"acc": 0.9475, "n": 211, "new": 2.0}) == []   # second machine's number

    far, _ = _bands({"default": {"acc": 0.80, "n": 212}, "threads-1": {"acc": 0.80, "n": 212}})
    _, issues = E.merge_bands(first["metrics"], far["metrics"], TOL["smoke"])
    assert any(i.startswith("acc:") and "both machines" in i for i in issues)
    assert any(i.startswith("n:") for i in issues)  # an exact count that differs is not widened


def test_a_cell_that_hangs_once_is_run_again_in_a_new_kernel_and_twice_fails(tmp_path):
    """The notebook client can miss a kernel's reply (jupyter/nbclient#312): a timed-out
    execution gets one more kernel, says so in its row, and a real hang still fails."""
    import nbformat
    import pytest

    marker = tmp_path / "first-attempt-done"
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                           "language": "python"},
                                            "language_info": {"name": "python"}})
    nb.cells = [nbformat.v4.new_code_cell("SMOKE = True", metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell(
                    "import pathlib, time\n"
                    f"marker = pathlib.Path({str(marker)!r})\n"
                    "if not marker.exists() or HANG_ALWAYS:\n"
                    "    marker.touch()\n"
                    "    time.sleep(60)\n")]
    nb.cells[0].source += "\nHANG_ALWAYS = False"
    path = tmp_path / "hang.ipynb"
    nbformat.write(nb, path)
    run = H.execute(path, "smoke", tmp_path / "once", timeout=5)
    assert run.retried.startswith("cell timed out after 5 s")
    with pytest.raises(TimeoutError):
        H.execute(path, "smoke", tmp_path / "always", timeout=5, parameters={"HANG_ALWAYS": True})
