"""kitlib.tb: the event-file reader returns what the TensorBoard callback logged; plots;
the launcher serves on 127.0.0.1 only and stops cleanly."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

import numpy as np
import pytest

from kitlib import tb

SAMPLES, BATCH, EPOCHS = 256, 32, 3  # 8 steps per epoch


def _data():
    rng = np.random.default_rng(0)
    x = rng.random((SAMPLES, 12), dtype=np.float32)
    y = rng.integers(0, 3, SAMPLES).astype("int32")
    return x, y


def _fit(log_dir, update_freq, epochs=EPOCHS, histogram_freq=1):
    import keras
    from kitlib.runtime import seed_everything

    class BatchLogs(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.seen = {}

        def on_train_batch_end(self, batch, logs=None):
            self.seen[int(self.model.optimizer.iterations)] = float(logs["loss"])

    seed_everything(3)
    x, y = _data()
    model = keras.Sequential([keras.Input((12,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    batch_logs = BatchLogs()
    history = model.fit(x, y, batch_size=BATCH, epochs=epochs, verbose=0, validation_data=(x[:64], y[:64]),
                        callbacks=[keras.callbacks.TensorBoard(log_dir, histogram_freq=histogram_freq,
                                                               update_freq=update_freq), batch_logs])
    return model, history.history, batch_logs.seen


@pytest.fixture(scope="module")
def logged(tmp_path_factory):
    log_dir = tmp_path_factory.mktemp("tb") / "run"
    model, history, batch_logs = _fit(log_dir, update_freq=2)
    return log_dir, model, history, batch_logs


def test_epoch_scalars_are_the_values_fit_returned(logged):
    log_dir, _, history, _ = logged
    logs = tb.read_scalars(log_dir)
    assert set(logs) == {"train", "validation"}
    train, val = logs["train"], logs["validation"]
    assert train["epoch_loss"].steps.tolist() == [0, 1, 2]
    # logged as float32, read back exactly
    np.testing.assert_array_equal(np.float32(train["epoch_loss"].values), np.float32(history["loss"]))
    np.testing.assert_array_equal(np.float32(train["epoch_accuracy"].values), np.float32(history["accuracy"]))
    np.testing.assert_array_equal(np.float32(val["epoch_loss"].values), np.float32(history["val_loss"]))
    np.testing.assert_array_equal(np.float32(val["epoch_accuracy"].values), np.float32(history["val_accuracy"]))
    assert np.allclose(train["epoch_learning_rate"].values, 0.001)


def test_batch_scalars_are_the_batch_logs_every_update_freq_steps(logged):
    log_dir, _, _, batch_logs = logged
    s = tb.read_scalars(log_dir, runs="train", tags="batch_loss")["train"]["batch_loss"]
    assert s.steps.tolist() == list(range(2, 8 * EPOCHS + 1, 2))
    np.testing.assert_array_equal(np.float32(s.values), np.float32([batch_logs[k] for k in s.steps]))


def test_series_unpacks_to_steps_and_values(logged):
    steps, values = tb.read_scalars(logged[0])["validation"]["epoch_loss"]
    assert steps.dtype == np.int64 and values.dtype == np.float64 and len(steps) == len(values) == EPOCHS


def test_histograms_hold_every_weight_once_per_epoch(logged):
    log_dir, model, _, _ = logged
    hists = tb.read_histograms(log_dir)
    kernel = next(t for t in hists if t.endswith("kernel/histogram"))
    assert [h.step for h in hists[kernel]] == [0, 1, 2]
    weight = next(w for w in model.weights if w.path.replace(":", "_") + "/histogram" == kernel)
    last = hists[kernel][-1]
    assert last.counts.sum() == np.prod(weight.shape)
    assert last.left.min() <= weight.numpy().min() and last.right.max() >= weight.numpy().max()


def test_event_files_lists_runs(logged):
    files = tb.event_files(logged[0])
    assert list(files) == ["train", "validation"]
    assert all(f.name.startswith("events.out.tfevents.") for fs in files.values() for f in fs)


def test_summaries_written_by_hand_are_read_back(tmp_path):
    import tensorflow as tf
    writer = tf.summary.create_file_writer(str(tmp_path / "custom"))
    with writer.as_default():
        for step, v in [(0, 1.5), (10, 0.25), (20, -3.0)]:
            tf.summary.scalar("my_metric", v, step=step)
        tf.summary.text("note", "not a scalar", step=0)
    writer.close()
    logs = tb.read_scalars(tmp_path)
    assert list(logs) == ["custom"] and list(logs["custom"]) == ["my_metric"]
    assert logs["custom"]["my_metric"].steps.tolist() == [0, 10, 20]
    assert logs["custom"]["my_metric"].values.tolist() == [1.5, 0.25, -3.0]


def test_a_second_fit_into_the_same_log_dir_warns_and_keeps_the_latest(tmp_path):
    _, h1, _ = _fit(tmp_path, update_freq="epoch", epochs=2, histogram_freq=0)
    import time
    time.sleep(1.1)  # event file names carry the creation second
    _, h2, _ = _fit(tmp_path, update_freq="epoch", epochs=2, histogram_freq=0)
    assert len(tb.event_files(tmp_path)["train"]) == 2
    with pytest.warns(UserWarning, match="several event files log the same steps"):
        logs = tb.read_scalars(tmp_path, tags="epoch_loss")
    np.testing.assert_array_equal(np.float32(logs["train"]["epoch_loss"].values), np.float32(h2["loss"]))


def test_update_freq_that_does_not_divide_the_epoch_drops_epoch_summaries(tmp_path):
    # Keras 3.15 behaviour the notebook teaches (tensorflow/tensorboard#4975): the batch-level
    # record_if(step % update_freq == 0) is still active when the epoch summaries are written.
    _fit(tmp_path, update_freq=3, histogram_freq=1)
    logs = tb.read_scalars(tmp_path)
    assert logs["train"]["epoch_loss"].steps.tolist() == [2]  # only epoch 3 ends on step 24 = 8 * 3
    assert logs["validation"]["epoch_loss"].steps.tolist() == [2]
    assert [h.step for h in next(iter(tb.read_histograms(tmp_path).values()))] == [2]


@pytest.mark.parametrize("bad, err, match", [
    ("does/not/exist", FileNotFoundError, "does not exist"),
    (42, TypeError, "must be a path"),
])
def test_bad_log_dirs_are_refused(bad, err, match):
    with pytest.raises(err, match=match):
        tb.read_scalars(bad)


def test_a_file_or_an_empty_folder_is_refused(tmp_path):
    f = tmp_path / "x.txt"
    f.write_text("hi")
    with pytest.raises(NotADirectoryError, match="is a file"):
        tb.event_files(f)
    with pytest.raises(FileNotFoundError, match="no event files"):
        tb.read_scalars(tmp_path)


def test_unknown_runs_and_tags_list_what_exists(logged):
    with pytest.raises(KeyError, match=r"runs \['valid'\] not found; available: \['train', 'validation'\]"):
        tb.read_scalars(logged[0], runs="valid")
    with pytest.raises(KeyError, match="tags .*'epoch_los'.* available"):
        tb.read_scalars(logged[0], tags=["epoch_los"])


def test_plot_scalars_one_axis_per_tag_one_line_per_run(logged):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    logs = tb.read_scalars(logged[0])
    fig = tb.plot_scalars(logs, ["epoch_loss", "epoch_accuracy", "batch_loss"], title="t")
    try:
        used = [ax for ax in fig.axes if ax.lines]
        assert [ax.get_title() for ax in used] == ["epoch_loss", "epoch_accuracy", "batch_loss"]
        assert [len(ax.lines) for ax in used] == [2, 2, 1]  # batch_loss: train only
    finally:
        plt.close(fig)
    fig = tb.plot_scalars(logged[0], ["epoch_loss"])  # a log dir works too
    plt.close(fig)
    with pytest.raises(TypeError, match="read_scalars"):
        tb.plot_scalars([1, 2])


def test_plot_histograms(logged):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    hists = tb.read_histograms(logged[0])
    tag = next(iter(hists))
    fig = tb.plot_histograms(hists, tag)
    try:
        assert len(fig.axes[0].lines) == EPOCHS
    finally:
        plt.close(fig)
    with pytest.raises(KeyError, match="available"):
        tb.plot_histograms(hists, "nope")


def test_free_port_is_bindable():
    port = tb.free_port()
    assert 1024 <= port <= 65535
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))


def test_prepare_magic_points_the_magic_at_this_environment(monkeypatch):
    monkeypatch.delenv("TENSORBOARD_BINARY", raising=False)
    monkeypatch.setenv("PATH", "/nonexistent")
    binary = tb.prepare_magic()
    assert os.path.isfile(binary) and os.access(binary, os.X_OK)
    assert os.environ["TENSORBOARD_BINARY"] == binary
    monkeypatch.setenv("TENSORBOARD_BINARY", "/opt/custom/tensorboard")
    assert tb.prepare_magic() == "/opt/custom/tensorboard"


def test_launch_serves_the_log_dir_on_loopback_and_stops(logged):
    server = tb.launch(logged[0], timeout=90)
    try:
        assert server.url.startswith("http://127.0.0.1:") and server.running
        with urllib.request.urlopen(server.url + "data/plugin/scalars/tags", timeout=10) as r:
            tags = json.loads(r.read())
        assert {"train", "validation"} <= set(tags) and "epoch_loss" in tags["validation"]
        assert server.url in server._repr_html_()
    finally:
        server.stop()
    assert not server.running
    with pytest.raises(OSError):
        urllib.request.urlopen(server.url, timeout=2)


def test_launch_reports_tensorboards_error_when_the_port_is_taken(logged):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        with pytest.raises(tb.PortInUse, match=f"port {port} on 127.0.0.1 is already in use"):
            tb.launch(logged[0], port=port, timeout=90)


@pytest.fixture
def other_tensorboard():
    """Something that answers like another TensorBoard (serving another logdir) on a port."""
    import http.server
    import threading

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = json.dumps({"logdir": "/somebody/elses/logs"}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_launch_never_returns_a_server_whose_process_exited(logged, other_tensorboard, monkeypatch):
    # even if the port looked free when checked (a race), the answer of another TensorBoard on
    # that port is not taken for ours: ours exits, and launch says why
    monkeypatch.setattr(tb, "_port_in_use", lambda host, port: False)
    with pytest.raises(tb.PortInUse, match="already in use by a TensorBoard serving /somebody/elses/logs"):
        tb.launch(logged[0], port=other_tensorboard, timeout=90)


def test_launch_without_a_port_picks_another_when_the_free_one_is_taken(logged, other_tensorboard, monkeypatch):
    ports = iter([other_tensorboard])
    real = tb.free_port
    monkeypatch.setattr(tb, "free_port", lambda host="127.0.0.1": next(ports, None) or real(host))
    server = tb.launch(logged[0], timeout=90)
    try:
        assert server.running and server.port != other_tensorboard
        assert tb._served_logdir(server.url) == str(logged[0].resolve())
    finally:
        server.stop()


@pytest.mark.parametrize("kwargs, err, match", [
    ({"host": "0.0.0.0"}, ValueError, "loopback"),
    ({"port": 80}, ValueError, "1024..65535"),
    ({"port": "6006"}, TypeError, "1024..65535"),
])
def test_launch_refuses_unsafe_or_bad_arguments(logged, kwargs, err, match):
    with pytest.raises(err, match=match):
        tb.launch(logged[0], **kwargs)


def test_launch_refuses_a_missing_log_dir(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        tb.launch(tmp_path / "missing")


def test_tf1_simple_value_summaries_are_read_too(tmp_path):
    from tensorboard.compat.proto import event_pb2, summary_pb2
    from tensorboard.summary.writer.event_file_writer import EventFileWriter
    writer = EventFileWriter(str(tmp_path / "old"))
    for step, v in [(0, 2.5), (5, 3.5)]:
        value = summary_pb2.Summary.Value(tag="legacy", simple_value=v)
        writer.add_event(event_pb2.Event(step=step, wall_time=1.0, summary=summary_pb2.Summary(value=[value])))
    writer.close()
    s = tb.read_scalars(tmp_path)["old"]["legacy"]
    assert s.steps.tolist() == [0, 5] and s.values.tolist() == [2.5, 3.5]


@pytest.mark.parametrize("env, requested, expected", [
    (None, False, False), (None, True, True), ("1", False, True), ("yes", False, True),
    ("0", False, False), ("0", True, True), ("", False, False), (" On ", False, True),
])
def test_server_wanted_by_the_parameter_or_the_environment(monkeypatch, env, requested, expected):
    if env is None:
        monkeypatch.delenv(tb.SERVER_ENV, raising=False)
    else:
        monkeypatch.setenv(tb.SERVER_ENV, env)
    assert tb.server_wanted(requested) is expected


def test_server_wanted_refuses_unclear_values(monkeypatch):
    monkeypatch.setenv(tb.SERVER_ENV, "maybe")
    with pytest.raises(ValueError, match="KITLIB_TENSORBOARD='maybe' is not understood: set it to 1"):
        tb.server_wanted(False)
    monkeypatch.delenv(tb.SERVER_ENV)
    with pytest.raises(TypeError, match="True or False"):
        tb.server_wanted("yes")


def test_servers_the_magic_starts_are_stopped_with_this_process_only(logged, monkeypatch):
    """%tensorboard starts servers through tensorboard.manager.start; they outlive the kernel
    unless stopped. stop_magic_servers() stops this process's own, and nobody else's."""
    import atexit

    import psutil
    from tensorboard import manager

    monkeypatch.delenv("TENSORBOARD_BINARY", raising=False)
    registered = []
    monkeypatch.setattr(atexit, "register", registered.append)
    tb.prepare_magic()
    tb.prepare_magic()
    assert registered == [tb.stop_magic_servers] * 2  # unregistered first: it runs once at exit
    # A server that is not our child (started by a grandchild process) is left alone.
    other = subprocess.Popen([sys.executable, "-c", (
        "import subprocess, sys; p = subprocess.Popen([sys.executable, '-m', 'tensorboard.main', '--logdir', "
        f"{str(logged[0])!r}, '--host', '127.0.0.1', '--port', '0', '--reload_interval', '7']); "
        "print(p.pid, flush=True)")],
        stdout=subprocess.PIPE, text=True)
    foreign = int(other.stdout.readline())
    other.wait(10)
    try:
        result = manager.start(["--logdir", str(logged[0]), "--host", "127.0.0.1", "--port", "0"])
        assert isinstance(result, manager.StartLaunched), result
        ours = result.info.pid
        assert psutil.Process(ours).ppid() == os.getpid()
        deadline = time.monotonic() + 60
        while foreign not in [i.pid for i in manager.get_all()]:  # registered too, so it is a candidate
            assert time.monotonic() < deadline, "the other TensorBoard did not start"
            time.sleep(0.2)
        assert tb.stop_magic_servers() == [ours]
        assert not psutil.pid_exists(ours) or psutil.Process(ours).status() == psutil.STATUS_ZOMBIE
        assert psutil.pid_exists(foreign)
    finally:
        psutil.Process(foreign).terminate()
