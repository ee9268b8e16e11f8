"""Data-parallel training on the machine you have (notebook 14).

* :func:`split_cpu` turns the CPU into *n* logical devices, so that
  ``tf.distribute.MirroredStrategy`` has several replicas on a laptop; it must run before
  TensorFlow starts its runtime (``kitlib.setup(..., logical_cpus=2)`` calls it first thing).
* :func:`replica_devices` / :func:`mirrored_strategy`: all GPUs when there are some, else the
  logical CPUs.
* :func:`multi_worker_strategy` is ``tf.distribute.MultiWorkerMirroredStrategy`` made to work
  with Keras 3's ``fit()``: in Keras 3.15, ``fit()`` on that strategy stops before the first
  step with ``ValueError: Attempt to convert a value (PerReplica...)`` (keras-team/keras#20585,
  open): its first-batch build and its epoch logs call ``strategy.reduce`` on a nested
  structure and with ``axis=0`` on scalars, which the multi-worker strategy refuses. The
  returned strategy reduces each value of a structure on its own, and scalars without an axis.
  ``tests/unit/test_distribute.py`` checks that plain ``fit()`` still fails (so the fix is
  dropped when Keras repairs it) and that the fixed one trains like one device.
* :class:`LocalCluster` starts worker processes on 127.0.0.1 with their ``TF_CONFIG``, keeps
  their logs, kills one on request, and kills them all when the cluster (or the kernel) goes.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import weakref
from pathlib import Path

from kitlib import _validate as V

__all__ = ["DeviceSetupError", "split_cpu", "replica_devices", "mirrored_strategy", "multi_worker_strategy",
           "fix_reduce", "max_weight_difference", "LocalCluster", "ClusterError"]


class DeviceSetupError(RuntimeError):
    """Logical devices asked for after TensorFlow started its runtime."""


class ClusterError(RuntimeError):
    """A worker failed, or did not get where it was waited for in time; the message shows its log."""


def split_cpu(n: int = 2) -> list[str]:
    """Split the CPU into *n* logical devices (``/device:CPU:0`` ... ``CPU:n-1``) and return
    their names. Runs again without effect when the split is already *n*. GPUs, if any, are
    set to allocate memory as needed, so that worker processes started later can share them."""
    n = V.integer(n, "n", low=1, high=64)
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    current = tf.config.get_logical_device_configuration(cpu)
    if current is not None and len(current) == n:
        return [d.name for d in tf.config.list_logical_devices("CPU")]
    try:
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * n)
        for gpu in tf.config.list_physical_devices("GPU"):  # let worker processes share the GPUs
            tf.config.experimental.set_memory_growth(gpu, True)
    except RuntimeError as exc:
        have = len(tf.config.list_logical_devices("CPU"))
        raise DeviceSetupError(
            f"TensorFlow's runtime has already started with {have} CPU device(s), so it cannot be split "
            f"into {n} any more. Restart the kernel and run the notebook from the top: the setup cell "
            f"(kitlib.setup(..., logical_cpus={n})) must run before anything creates a tensor.") from exc
    return [d.name for d in tf.config.list_logical_devices("CPU")]


def replica_devices() -> list[str]:
    """The devices a ``MirroredStrategy`` should use here: every GPU, or else every logical CPU."""
    import tensorflow as tf
    gpus = tf.config.list_logical_devices("GPU")
    return [d.name for d in (gpus or tf.config.list_logical_devices("CPU"))]


def mirrored_strategy():
    """``tf.distribute.MirroredStrategy`` over :func:`replica_devices`."""
    import tensorflow as tf
    return tf.distribute.MirroredStrategy(replica_devices())


def fix_reduce(strategy):
    """Make ``strategy.reduce`` accept what Keras 3's ``fit()`` gives it (see the module
    docstring): each value of a nested structure is reduced on its own, and a scalar without
    an axis. Values and results are unchanged otherwise. Returns *strategy*."""
    import tensorflow as tf
    if getattr(strategy, "_kitlib_fixed_reduce", False):
        return strategy
    reduce = strategy.reduce

    def one(op, value, axis):
        local = (strategy.experimental_local_results(value)[0]
                 if isinstance(value, tf.distribute.DistributedValues) else value)
        if axis is not None and len(getattr(local, "shape", ())) == 0:
            axis = None
        return reduce(op, value, axis=axis)

    strategy.reduce = lambda reduce_op, value, axis=None: tf.nest.map_structure(
        lambda v: one(reduce_op, v, axis), value)
    strategy._kitlib_fixed_reduce = True
    return strategy


def multi_worker_strategy():
    """``tf.distribute.MultiWorkerMirroredStrategy()`` (reads ``TF_CONFIG``) with
    :func:`fix_reduce` applied. Create it at the very start of the worker's program, before
    any other TensorFlow call, as TensorFlow requires."""
    import tensorflow as tf
    return fix_reduce(tf.distribute.MultiWorkerMirroredStrategy())


def max_weight_difference(a, b) -> float:
    """Largest absolute difference between two models' weights (models or lists of arrays);
    ValueError when their shapes differ."""
    import numpy as np
    wa = a.get_weights() if hasattr(a, "get_weights") else list(a)
    wb = b.get_weights() if hasattr(b, "get_weights") else list(b)
    if [np.shape(w) for w in wa] != [np.shape(w) for w in wb]:
        raise ValueError("the two models have different weight shapes: compare models built the same way")
    return max((float(np.max(np.abs(np.asarray(x) - np.asarray(y)))) for x, y in zip(wa, wb) if np.size(x)),
               default=0.0)


# --------------------------------------------------------------------------- local cluster


def _free_ports(n: int) -> list[int]:
    socks = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def _die_with_parent():  # runs in the child, before exec (Linux): SIGKILL when the kernel dies
    try:
        import ctypes
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _kill_all(procs) -> None:
    for p in procs:
        if p.poll() is None:
            p.kill()
    for p in procs:
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass


class LocalCluster:
    """*workers* processes running ``python SCRIPT ARGS...`` on this machine, each with a
    ``TF_CONFIG`` naming all of them (``127.0.0.1`` and free ports) and its own index.

    ``start()`` (again after a failure: new ports, same logs folder, a new *attempt*),
    ``wait_for(text, worker)``, ``kill(worker)``, ``wait()``, ``stop()``, ``log(worker)``.
    The processes die with the cluster object, at ``stop()``, when the ``with`` block ends,
    and with the kernel (Linux).
    """

    def __init__(self, script, *, workers: int = 2, args=(), logs, env: dict | None = None):
        self.script = Path(script)
        if not self.script.is_file():
            raise FileNotFoundError(f"{self.script}: no such worker script; write it first (%%writefile)")
        self.workers = V.integer(workers, "workers", low=1, high=16)
        self.args = [str(a) for a in args]
        self.logs = Path(logs)
        self.logs.mkdir(parents=True, exist_ok=True)
        self.env = dict(env or {})
        self.attempt = 0
        self.procs: list[subprocess.Popen] = []
        self._finalizer = None

    # ---- lifecycle
    def start(self) -> "LocalCluster":
        if any(p.poll() is None for p in self.procs):
            raise ClusterError("the workers of the previous attempt are still running: wait() or stop() first")
        self.attempt += 1
        cluster = {"worker": [f"127.0.0.1:{p}" for p in _free_ports(self.workers)]}
        self.procs = []
        for i in range(self.workers):
            env = dict(os.environ, **self.env,
                       TF_CONFIG=json.dumps({"cluster": cluster, "task": {"type": "worker", "index": i}}))
            env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
            env.setdefault("TF_FORCE_GPU_ALLOW_GROWTH", "true")  # several workers on one GPU machine
            with open(self.log_path(i), "wb") as out:
                self.procs.append(subprocess.Popen(
                    [sys.executable, str(self.script), *self.args], env=env, stdout=out,
                    stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=self.logs,
                    preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None))
        if self._finalizer is not None:
            self._finalizer.detach()
        self._finalizer = weakref.finalize(self, _kill_all, list(self.procs))
        return self

    def stop(self) -> None:
        """Kill every worker still running."""
        _kill_all(self.procs)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def kill(self, worker: int) -> None:
        """SIGKILL one worker, as a crash or a preempted machine would."""
        self._proc(worker).kill()
        self._proc(worker).wait()

    # ---- waiting
    def wait(self, timeout: float = 600) -> list[int]:
        """Wait for every worker to end; their exit codes (0: finished; -9: killed)."""
        deadline = time.monotonic() + timeout
        for i, p in enumerate(self.procs):
            try:
                p.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.stop()
                raise ClusterError(f"worker {i} still ran after {timeout:.0f} s; all workers stopped. "
                                   f"Its log ends:\n{self.tail(i)}") from None
        return [p.returncode for p in self.procs]

    def wait_for(self, text: str, worker: int = 0, timeout: float = 300) -> None:
        """Wait until *worker*'s log of this attempt shows *text*."""
        deadline = time.monotonic() + timeout
        p = self._proc(worker)
        while text not in self.log(worker, raw=True):
            if p.poll() is not None:
                raise ClusterError(f"worker {worker} ended (exit code {p.returncode}) before printing "
                                   f"{text!r}. Its log ends:\n{self.tail(worker)}")
            if time.monotonic() > deadline:
                raise ClusterError(f"worker {worker} did not print {text!r} within {timeout:.0f} s. "
                                   f"Its log ends:\n{self.tail(worker)}")
            time.sleep(0.05)

    # ---- logs
    def log_path(self, worker: int) -> Path:
        return self.logs / f"attempt{self.attempt}-worker{worker}.log"

    def log(self, worker: int = 0, *, raw: bool = False) -> str:
        """*worker*'s output in this attempt, without TensorFlow's start-up noise."""
        try:
            data = self.log_path(worker).read_bytes()
        except FileNotFoundError:
            return ""
        if not raw:
            from kitlib.runtime import filter_lines
            data = filter_lines(data)
        return data.decode("utf-8", "replace")

    def lines(self, worker: int = 0, prefix: str = "") -> list[str]:
        """The lines of :meth:`log` that start with *prefix*."""
        return [l for l in self.log(worker).splitlines() if l.startswith(prefix)]

    def tail(self, worker: int, n: int = 12) -> str:
        return "\n".join(self.log(worker).splitlines()[-n:])

    def _proc(self, worker: int) -> subprocess.Popen:
        if not self.procs:
            raise ClusterError("the cluster has not started: call start() first")
        if not isinstance(worker, int) or not 0 <= worker < len(self.procs):
            raise ValueError(f"worker must be 0 to {len(self.procs) - 1}, got {worker!r}")
        return self.procs[worker]
