"""kitlib.resumable: a training process killed with SIGKILL mid-epoch resumes from its newest
checkpoint, loses at most save_freq steps, and ends with the weights of an uninterrupted run."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from kitlib import resumable as R

ROOT = Path(__file__).resolve().parents[2]
PLAN = R.Plan()  # 1024 samples, batch 32: 32 steps per epoch, 4 epochs, a checkpoint every 10 steps
KILL_AT = 45     # mid-epoch 2 (steps 33..64), after the checkpoint of step 40


def _cli(directory, *args):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    return [sys.executable, "-m", "kitlib.resumable", str(directory), *args], env


def _weights(path):
    import keras
    return keras.models.load_model(path).get_weights()


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    """The reference: the same plan trained in one go (in this process)."""
    d = tmp_path_factory.mktemp("uninterrupted")
    result = R.train(PLAN, d, log=lambda m: None)
    assert (result.start_step, result.end_step) == (0, PLAN.total_steps)
    return [w.copy() for w in result.model.get_weights()]


def test_kill_9_mid_epoch_then_rerun_resumes_and_matches_an_uninterrupted_run(tmp_path, uninterrupted):
    run_dir = tmp_path / "run"
    cmd, env = _cli(run_dir, "--progress", "--step-delay", "0.02")
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    seen = []
    try:
        for line in proc.stdout:
            if m := re.fullmatch(r"step (\d+)\n", line):
                seen.append(int(m.group(1)))
                if seen[-1] >= KILL_AT:
                    os.kill(proc.pid, signal.SIGKILL)  # no cleanup, no callback, no flush
                    break
        rest = proc.stdout.read()  # steps printed before the kill landed
    finally:
        if proc.poll() is None and not seen:
            proc.kill()
        proc.wait(timeout=60)
    assert seen, f"the training process printed no steps: {proc.stderr.read()[-2000:]}"
    assert proc.returncode == -signal.SIGKILL
    seen += [int(s) for s in re.findall(r"^step (\d+)$", rest, flags=re.M)]
    last = seen[-1]
    assert PLAN.steps_per_epoch < last < 2 * PLAN.steps_per_epoch, "killed mid-epoch 2"
    assert not (run_dir / "final.keras").exists()
    kept = R.checkpoints(run_dir)
    assert kept and all(step % PLAN.save_freq == 0 for step, _ in kept)

    r = subprocess.run(_cli(run_dir)[0], capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    m = re.search(r"resumed from ckpt-(\d+)\.keras: optimizer\.iterations = (\d+)", r.stdout)
    assert m, r.stdout
    resumed = int(m.group(1))
    assert int(m.group(2)) == resumed == kept[-1][0]  # the newest checkpoint, iterations continue
    # lost at most save_freq steps (+1: a step can finish after its "step k" line was due)
    assert last - PLAN.save_freq <= resumed <= last + 1, (last, resumed)
    assert f"{PLAN.total_steps - resumed} steps to go" in r.stdout
    assert f"done: step {PLAN.total_steps}" in r.stdout

    final = _weights(run_dir / "final.keras")
    for a, b in zip(final, uninterrupted):
        # Same float32 ops on the same batches in the same order: equal up to thread-level
        # rounding (KERAS3.md: ~1e-7 between thread counts); here they come out identical.
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)


def test_restore_skips_an_unreadable_newest_checkpoint_and_keeps_the_file(tmp_path):
    plan = R.Plan(epochs=1)  # 32 steps: checkpoints at 10, 20, 30
    R.train(plan, tmp_path, log=lambda m: None)
    (tmp_path / "final.keras").unlink()  # pretend the run died before finishing
    broken = tmp_path / "ckpt-000031.keras"
    broken.write_bytes(b"PK\x03\x04 cut short by a crash")
    messages = []
    model, step, path = R.restore(tmp_path, messages.append)
    assert (step, path.name) == (30, "ckpt-000030.keras")
    assert int(model.optimizer.iterations) == 30
    assert len(messages) == 1 and messages[0].startswith("skipping ckpt-000031.keras: cannot be loaded")
    assert broken.exists()


def test_checkpoints_are_ordered_by_step_and_ignore_other_files(tmp_path):
    for name in ["ckpt-000020.keras", "ckpt-000100.keras", "ckpt-000003.keras", "tmp-77-ckpt-000110.keras",
                 "ckpt-12.keras", "notes.txt", "plan.json"]:
        (tmp_path / name).write_text("x")
    assert [(s, p.name) for s, p in R.checkpoints(tmp_path)] == [
        (3, "ckpt-000003.keras"), (20, "ckpt-000020.keras"), (100, "ckpt-000100.keras")]
    assert R.checkpoints(tmp_path / "missing") == []
    assert R.restore(tmp_path / "missing") is None


def test_a_finished_run_is_not_trained_again(tmp_path):
    plan = R.Plan(epochs=1, samples=128)
    first = R.train(plan, tmp_path, log=lambda m: None)
    messages = []
    again = R.train(plan, tmp_path, log=messages.append)
    assert again.end_step == first.end_step == plan.total_steps
    assert "nothing to do" in messages[0]


def test_other_settings_in_the_same_folder_are_refused(tmp_path):
    R.train(R.Plan(epochs=1, samples=128), tmp_path, log=lambda m: None)
    with pytest.raises(R.PlanMismatch, match=r"epochs: saved 1, now 2.*same arguments"):
        R.train(R.Plan(epochs=2, samples=128), tmp_path, log=lambda m: None)
    assert json.loads((tmp_path / "plan.json").read_text())["epochs"] == 1


def test_checkpoints_without_a_plan_file_are_refused(tmp_path):
    (tmp_path / "ckpt-000010.keras").write_text("someone else's")
    with pytest.raises(R.PlanMismatch, match="empty folder"):
        R.train(R.Plan(), tmp_path, log=lambda m: None)


def test_cli_reports_bad_arguments_without_a_traceback(tmp_path, capsys):
    assert R.main([str(tmp_path), "--save-freq", "0"]) == 2
    assert "error: save_freq=0 is out of range: save_freq must be an int >= 1" in capsys.readouterr().err


@pytest.mark.parametrize("kwargs, err, match", [
    ({"save_freq": 0}, ValueError, "save_freq=0"),
    ({"batch_size": 2048}, ValueError, "larger than samples"),
    ({"classes": 1}, ValueError, "classes=1"),
    ({"learning_rate": 0}, ValueError, "learning_rate"),
    ({"epochs": 1.5}, TypeError, r"epochs must be an int >= 1, got 1.5"),
    ({"seed": -1}, ValueError, "seed=-1"),
])
def test_plan_refuses_bad_values(kwargs, err, match):
    with pytest.raises(err, match=match):
        R.Plan(**kwargs)


def test_train_refuses_bad_arguments(tmp_path):
    with pytest.raises(TypeError, match="Plan"):
        R.train({"epochs": 1}, tmp_path)
    with pytest.raises(ValueError, match="step_delay"):
        R.train(R.Plan(), tmp_path, step_delay=-1)


def test_batch_order_depends_on_seed_and_epoch_only():
    a, b = R.batch_order(PLAN, 1), R.batch_order(PLAN, 1)
    assert np.array_equal(a, b) and sorted(a) == list(range(PLAN.samples))
    assert not np.array_equal(a, R.batch_order(PLAN, 2))
    assert not np.array_equal(a, R.batch_order(R.Plan(seed=1), 1))
    with pytest.raises(ValueError, match="epoch"):
        R.batch_order(PLAN, PLAN.epochs)


def test_step_checkpoint_refuses_a_bad_frequency(tmp_path):
    with pytest.raises(ValueError, match="int N >= 1"):
        R.StepCheckpoint(tmp_path, 0)


def test_make_data_is_seeded():
    x1, y1 = R.make_data(PLAN)
    x2, y2 = R.make_data(PLAN)
    assert np.array_equal(x1, x2) and np.array_equal(y1, y2) and x1.dtype == np.float32
    assert set(np.unique(y1)) == set(range(PLAN.classes))


def test_backup_and_restore_replays_the_interrupted_epoch(tmp_path, uninterrupted):
    """What the built-in does (documented in kitlib.resumable and notebook 10): it restores
    the state of the last save but restarts the interrupted epoch at its first batch."""
    import keras
    from kitlib.runtime import seed_everything

    class Crash(Exception):
        pass

    class CrashAt(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if int(self.model.optimizer.iterations) == KILL_AT:
                raise Crash

    x, y = R.make_data(PLAN)
    fit = dict(batch_size=PLAN.batch_size, epochs=PLAN.epochs, shuffle=False, verbose=0)
    seed_everything(PLAN.seed)
    model = R.build_model(PLAN)
    with pytest.raises(Crash):
        model.fit(x, y, callbacks=[keras.callbacks.BackupAndRestore(tmp_path, save_freq=10), CrashAt()], **fit)
    meta = json.loads((tmp_path / "training_metadata.json").read_text())
    assert meta == {"epoch": 1, "batch": 7}  # saved at step 40 = epoch 2, batch index 7
    seed_everything(PLAN.seed)
    model = R.build_model(PLAN)
    history = model.fit(x, y, callbacks=[keras.callbacks.BackupAndRestore(tmp_path, save_freq=10)], **fit)
    assert history.epoch == [1, 2, 3]
    assert int(model.optimizer.iterations) == 40 + 3 * PLAN.steps_per_epoch  # 8 batches trained twice


# --------------------------------------------------------------------------- damaged folders

_TINY = dict(samples=64, features=6, classes=3, batch_size=32, epochs=1, save_freq=1)


def _dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_leftover_temporary_files_of_dead_processes_are_cleaned(tmp_path):
    d = tmp_path / "run"
    d.mkdir()
    dead, alive = _dead_pid(), os.getpid()
    leftovers = [d / f"tmp-{dead}-ckpt-000010.keras", d / f"tmp-{dead}-final.keras"]
    kept = [d / f"tmp-{alive}-ckpt-000020.keras",       # a save in progress
            d / "tmp-notes.keras", d / f"tmp-{dead}-mine.keras", d / f"tmp-{dead}-ckpt-000010.keras.bak"]
    for p in leftovers + kept:
        p.write_bytes(b"partial")
    logs = []
    R.train(R.Plan(**_TINY), d, log=logs.append)
    assert not any(p.exists() for p in leftovers)
    assert all(p.read_bytes() == b"partial" for p in kept), "only the kit's own temporary names are removed"
    assert any(f"removed tmp-{dead}-ckpt-000010.keras" in m and "ended" in m for m in logs)


def test_a_checkpoint_of_another_model_shape_is_skipped_with_a_reason(tmp_path):
    d = tmp_path / "run"
    plan = R.Plan(**_TINY)
    d.mkdir()
    R._check_plan(d, plan)
    other = R.build_model(R.Plan(**{**_TINY, "features": 11}))
    other.save(d / "ckpt-000000.keras")  # iterations 0 matches its name: only the shape is wrong
    logs = []
    result = R.train(plan, d, log=logs.append)
    assert result.resumed_from is None and result.end_step == plan.total_steps
    assert any("skipping ckpt-000000.keras: it holds a model of another shape" in m for m in logs)
    assert (d / "ckpt-000000.keras").exists()


def test_a_truncated_final_keras_is_reported_as_corrupt_with_its_name(tmp_path):
    d = tmp_path / "run"
    plan = R.Plan(**_TINY)
    R.train(plan, d, log=lambda m: None)
    final = d / "final.keras"
    final.write_bytes(final.read_bytes()[:500])
    with pytest.raises(R.CorruptFile, match=r"final.keras exists but is corrupt \(500 bytes") as err:
        R.train(plan, d, log=lambda m: None)
    assert "File not found" not in str(err.value) and "Move it away" in str(err.value)
    assert final.stat().st_size == 500, "the file is kept"


def test_a_truncated_plan_json_names_the_file(tmp_path):
    d = tmp_path / "run"
    d.mkdir()
    (d / "plan.json").write_text('{"seed": 0, "samples": 10')
    with pytest.raises(R.CorruptFile, match=r"plan.json is not a readable plan"):
        R.train(R.Plan(**_TINY), d, log=lambda m: None)
    assert R.main([str(d), "--samples", "64", "--batch-size", "32"]) == 2
