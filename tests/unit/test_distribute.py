"""kitlib.distribute: logical CPUs, the multi-worker fix for Keras 3's fit(), LocalCluster.

The facts notebook 14 teaches, on a tiny model (each cluster start costs a few seconds of
TensorFlow start-up per worker): one device and two replicas end with the same weights;
two workers end with the weights of one process; a job whose worker was killed, restarted,
resumes from BackupAndRestore and ends there too; plain MultiWorkerMirroredStrategy still
breaks Keras 3's fit() (when this test fails, Keras has fixed keras-team/keras#20585 and
kitlib's fix can go); Keras 3's BackupAndRestore writes the same file from every worker.
The models train with SGD: an optimizer that normalises the step (RMSprop, Adam) turns a
rounding difference in a near-zero gradient into a step of about the learning rate, and two
runs that compute the same thing drift apart by far more than rounding (notebook 14, §2).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from kitlib import distribute as D

WORKER = Path(__file__).with_name("distributed_worker.py")
EPOCHS = 4


def _python(code: str, timeout: int = 240) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=timeout, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2"))


def _weights(folder: Path, who) -> list[np.ndarray]:
    with np.load(folder / f"worker-{who}.npz") as saved:
        return [saved[f"arr_{i}"] for i in range(len(saved.files))]


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> list[np.ndarray]:
    folder = tmp_path_factory.mktemp("reference")
    run = subprocess.run([sys.executable, str(WORKER), str(folder), str(EPOCHS), "reference"],
                         capture_output=True, text=True, timeout=240)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    return _weights(folder, "reference")


# --------------------------------------------------------------------------- one machine


def test_split_cpu_gives_logical_devices_once_and_says_how_to_recover_when_too_late():
    run = _python("""
        import kitlib
        kit = kitlib.setup("zz_split_cpu_test", smoke=True, show=False, logical_cpus=2)
        from kitlib import distribute as D
        print("devices", len(D.replica_devices()))
        print("again", len(D.split_cpu(2)))      # the setup cell run a second time
        import tensorflow as tf
        tf.constant(1.0)                          # the runtime starts
        try:
            D.split_cpu(3)
        except D.DeviceSetupError as err:
            print("error", err)
        import shutil; shutil.rmtree(kit.workdir)
    """)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "devices 2" in run.stdout and "again 2" in run.stdout
    assert "error" in run.stdout and "Restart the kernel" in run.stdout and "logical_cpus=3" in run.stdout


def test_two_mirrored_replicas_end_with_the_weights_of_one_device():
    run = _python("""
        from kitlib import distribute as D
        D.split_cpu(2)
        import keras, numpy as np, kitlib
        rng = np.random.default_rng(1)
        x = rng.random((512, 20), dtype=np.float32); y = rng.integers(0, 3, 512)
        def trained(strategy):
            kitlib.seed_everything(5)
            with strategy.scope():
                m = keras.Sequential([keras.Input((20,)), keras.layers.Dense(8, activation="relu"),
                                      keras.layers.Dense(3, activation="softmax")])
                m.compile(optimizer=keras.optimizers.SGD(0.05, momentum=0.9), loss="sparse_categorical_crossentropy")
            m.fit(x, y, batch_size=64, epochs=2, shuffle=False, verbose=0)
            return m
        import tensorflow as tf
        mirrored = D.mirrored_strategy()
        print("replicas", mirrored.num_replicas_in_sync)
        print("difference", D.max_weight_difference(trained(tf.distribute.get_strategy()), trained(mirrored)))
    """)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "replicas 2" in run.stdout
    difference = float(run.stdout.split("difference")[1])
    assert difference < 1e-4  # rounding, grown a little by training


def test_max_weight_difference_compares_lists_and_refuses_other_shapes():
    a = [np.zeros((2, 3)), np.ones(3)]
    b = [np.full((2, 3), 0.5), np.ones(3)]
    assert D.max_weight_difference(a, b) == 0.5
    assert D.max_weight_difference(a, a) == 0.0
    with pytest.raises(ValueError, match="different weight shapes"):
        D.max_weight_difference(a, [np.zeros((3, 2)), np.ones(3)])


# --------------------------------------------------------------------------- several workers


def _cluster(tmp_path, *flags, name="job") -> tuple[D.LocalCluster, Path]:
    folder = tmp_path / name
    return D.LocalCluster(WORKER, workers=2, args=[folder, EPOCHS, *flags], logs=folder), folder


def test_plain_multi_worker_strategy_still_breaks_keras_fit(tmp_path):
    """When this fails, Keras fixed keras-team/keras#20585: drop kitlib.distribute.fix_reduce
    and the notebook's note about it."""
    cluster, _ = _cluster(tmp_path, "plain")
    with cluster:
        cluster.start()
        codes = cluster.wait(timeout=300)
        logs = cluster.log(0) + cluster.log(1)
    assert codes != [0, 0]
    assert "PerReplica" in logs and "unsupported type" in logs


def test_two_workers_end_with_one_process_weights(tmp_path, reference):
    cluster, folder = _cluster(tmp_path)
    with cluster:
        cluster.start()
        assert cluster.wait(timeout=300) == [0, 0], cluster.tail(0) + cluster.tail(1)
        assert cluster.lines(0, prefix="worker 0 starts epoch") == [f"worker 0 starts epoch {e}"
                                                                    for e in range(1, EPOCHS + 1)]
    assert D.max_weight_difference(_weights(folder, 0), _weights(folder, 1)) == 0.0
    assert D.max_weight_difference(_weights(folder, 0), reference) < 1e-4  # rounding, grown a little


def test_a_killed_worker_stops_the_job_and_the_restart_resumes_to_the_same_weights(tmp_path, reference):
    cluster, folder = _cluster(tmp_path)
    with cluster:
        cluster.start()
        cluster.wait_for("worker 1 starts epoch 3", worker=1)
        cluster.kill(1)
        assert cluster.wait(timeout=300) == [1, -9]
        assert "Error" in cluster.log(0)
        assert cluster.attempt == 1
        cluster.start()
        assert cluster.wait(timeout=300) == [0, 0], cluster.tail(0)
        resumed = cluster.lines(0, prefix="worker 0 starts epoch")
        assert cluster.attempt == 2 and (folder / "attempt1-worker0.log").exists()
    first = int(resumed[0].rsplit(" ", 1)[1])
    assert first in (3, 4) and resumed[-1] == f"worker 0 starts epoch {EPOCHS}"  # not from epoch 1 again
    assert D.max_weight_difference(_weights(folder, 0), reference) < 1e-4  # rounding, grown a little


def test_keras3_backup_and_restore_writes_the_same_file_from_every_worker(tmp_path):
    cluster, folder = _cluster(tmp_path, "shared-backup", "record-saves")
    with cluster:
        cluster.start()
        cluster.wait(timeout=300)
        written = {w: {line.split(" writes ")[1] for line in cluster.lines(w, prefix=f"worker {w} writes")}
                   for w in (0, 1)}
    assert written[0] and written[0] == written[1], written


# --------------------------------------------------------------------------- LocalCluster itself


def _script(tmp_path, body: str) -> Path:
    path = tmp_path / "script.py"
    path.write_text(textwrap.dedent(body))
    return path


def test_local_cluster_gives_each_worker_its_tf_config(tmp_path):
    script = _script(tmp_path, """
        import json, os
        config = json.loads(os.environ["TF_CONFIG"])
        print("me", config["task"]["index"], "of", len(config["cluster"]["worker"]), config["cluster"]["worker"][0])
    """)
    with D.LocalCluster(script, workers=3, logs=tmp_path / "logs") as cluster:
        cluster.start()
        assert cluster.wait(timeout=60) == [0, 0, 0]
        lines = [cluster.lines(w, prefix="me")[0] for w in range(3)]
    assert [l.split()[1] for l in lines] == ["0", "1", "2"]
    assert all(" of 3 127.0.0.1:" in l for l in lines)


def test_local_cluster_errors_name_the_problem(tmp_path):
    with pytest.raises(FileNotFoundError, match="%%writefile"):
        D.LocalCluster(tmp_path / "missing.py", logs=tmp_path)
    quick = _script(tmp_path, "print('hello')\nraise SystemExit(3)\n")
    cluster = D.LocalCluster(quick, workers=1, logs=tmp_path / "q")
    with pytest.raises(D.ClusterError, match="call start"):
        cluster.kill(0)
    cluster.start()
    with pytest.raises(D.ClusterError, match=r"(?s)ended \(exit code 3\) before printing 'never'.*hello"):
        cluster.wait_for("never", worker=0, timeout=60)
    with pytest.raises(ValueError, match="worker must be 0 to 0"):
        cluster.kill(1)
    slow = _script(tmp_path, "import time\nprint('sleeping', flush=True)\ntime.sleep(600)\n")
    cluster = D.LocalCluster(slow, workers=2, logs=tmp_path / "s")
    cluster.start()
    cluster.wait_for("sleeping", worker=1, timeout=60)
    with pytest.raises(D.ClusterError, match="still running"):
        cluster.start()
    with pytest.raises(D.ClusterError, match="still ran after 1 s; all workers stopped"):
        cluster.wait(timeout=1)
    assert all(p.poll() is not None for p in cluster.procs)


def test_workers_die_with_the_process_that_started_them(tmp_path):
    """A kernel that is killed (or restarted) takes its workers with it."""
    slow = _script(tmp_path, "import time\nprint('sleeping', flush=True)\ntime.sleep(600)\n")
    parent = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import os, time
        from kitlib import distribute as D
        c = D.LocalCluster({str(slow)!r}, workers=2, logs={str(tmp_path / 'p')!r}).start()
        c.wait_for("sleeping", worker=1, timeout=60)
        print(*[p.pid for p in c.procs], flush=True)
        time.sleep(600)
    """)], stdout=subprocess.PIPE, text=True)
    pids = [int(p) for p in parent.stdout.readline().split()]
    assert len(pids) == 2
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 20
    alive = pids
    while alive and time.monotonic() < deadline:
        alive = [p for p in alive if Path(f"/proc/{p}").exists() and "Z" not in _state(p)]
        time.sleep(0.2)
    assert not alive, f"workers {alive} outlived the process that started them"


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[1].split()[0]
    except (FileNotFoundError, IndexError):
        return "Z"
