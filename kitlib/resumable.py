"""A training run that survives ``kill -9``: checkpoints every N steps, and a rerun of the
same command resumes from the newest checkpoint, mid-epoch, with the optimizer's state.

    python -m kitlib.resumable DIR                 # train (or resume) into DIR
    python -m kitlib.resumable DIR --progress      # also print "step k" after every batch

Notebook 10 kills this process and reruns it; ``tests/unit/test_resume.py`` does the same
and checks that the resumed run ends with the weights of an uninterrupted one. Three
choices make the resume exact:

1. **The checkpoint holds the whole training state**: a ``.keras`` file written by
   ``model.save`` has the weights *and* the optimizer's variables (Adam's moments and
   ``optimizer.iterations``), so the optimizer continues as if nothing happened.
2. **The batch order is a function of (seed, epoch) only**: each epoch visits the samples
   in ``numpy.random.default_rng([seed, epoch]).permutation(n)`` order, so a new process
   knows which batches epoch *e* still has to see after step *k*; ``fit(shuffle=True)``
   would draw a new order from state the killed process took with it.
3. **A checkpoint is complete or absent**: it is written to a temporary name and renamed
   (``os.replace`` is atomic), so a kill during the write cannot leave a truncated newest
   file. (``ModelCheckpoint`` writes in place; the restore below still skips an unreadable
   file rather than failing, and never deletes one.)

``keras.callbacks.BackupAndRestore(save_freq=N)`` is the built-in alternative: it saves
the weights and optimizer state every N batches, but a restart resumes at the *start* of
the interrupted epoch (the batch number it records is not used), so the batches trained
before the last save are trained on a second time: more steps in total, other weights.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Callable, NamedTuple

import keras
import numpy as np

from kitlib import _validate as V

__all__ = ["Plan", "PlanMismatch", "CorruptFile", "Result", "clean_temporary", "make_data", "build_model", "batch_order", "checkpoints",
           "restore", "StepCheckpoint", "train", "main", "CHECKPOINT_RE"]

CHECKPOINT_RE = re.compile(r"^ckpt-(\d{6,})\.keras\Z")
_PLAN_FILE = "plan.json"
_FINAL = "final.keras"


class PlanMismatch(ValueError):
    """The folder holds checkpoints of a run with other settings."""


class CorruptFile(ValueError):
    """A file the run needs (``plan.json``, ``final.keras``) is damaged; the message names it."""


# The temporary names save_atomically() writes: tmp-<pid>-<final name>.
TEMPORARY_RE = re.compile(r"^tmp-(\d+)-(ckpt-\d{6,}|final)\.keras\Z")


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        import psutil
        return psutil.pid_exists(pid)
    except ImportError:  # pragma: no cover - psutil is a dependency
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except OSError:
            return True
        return True


def clean_temporary(directory, log: Callable[[str], None] = print) -> list[Path]:
    """Remove the temporary files of saves that were killed midway: only the kit's own names
    (``tmp-<pid>-ckpt-<step>.keras``, ``tmp-<pid>-final.keras``), and only when process
    ``<pid>`` is no longer running (a running save is left alone). Returns what was removed."""
    d = Path(directory)
    removed = []
    if not d.is_dir():
        return removed
    for p in sorted(d.iterdir()):
        m = TEMPORARY_RE.match(p.name)
        if not m or p.is_symlink() or not p.is_file() or _alive(int(m.group(1))):
            continue
        try:
            p.unlink()
        except OSError as exc:
            log(f"could not remove {p.name} ({exc.strerror or exc}); it can be deleted by hand")
            continue
        removed.append(p)
        log(f"removed {p.name}: a save interrupted when process {m.group(1)} ended")
    return removed


def _weight_shapes(model) -> list[tuple[int, ...]]:
    return [tuple(int(d) for d in w.shape) for w in model.weights]


@dataclass(frozen=True)
class Plan:
    """Everything that decides the numbers a run produces (not how it is observed)."""

    seed: int = 0
    samples: int = 1024
    features: int = 20
    classes: int = 4
    batch_size: int = 32
    epochs: int = 4
    save_freq: int = 10
    learning_rate: float = 0.01

    def __post_init__(self):
        for f in fields(self):
            v = getattr(self, f.name)
            if f.name == "learning_rate":
                V.number(v, "learning_rate", low=0, high=10, low_open=True, high_open=True,
                         hint="e.g. 0.01")
                continue
            V.integer(v, f.name, low=0 if f.name == "seed" else (2 if f.name == "classes" else 1), what="an int")
        if self.batch_size > self.samples:
            raise ValueError(f"batch_size={self.batch_size} is larger than samples={self.samples}")

    @property
    def steps_per_epoch(self) -> int:
        return -(-self.samples // self.batch_size)

    @property
    def total_steps(self) -> int:
        return self.steps_per_epoch * self.epochs


class Result(NamedTuple):
    start_step: int          # optimizer.iterations when this process started training
    end_step: int            # optimizer.iterations at the end (== plan.total_steps)
    resumed_from: Path | None
    model: object            # the trained keras.Model


def make_data(plan: Plan) -> tuple[np.ndarray, np.ndarray]:
    """Synthetic, seeded classification data: labels from a fixed random linear 'teacher'."""
    rng = np.random.default_rng([plan.seed, 12345])
    x = rng.standard_normal((plan.samples, plan.features), dtype=np.float32)
    w = rng.standard_normal((plan.features, plan.classes), dtype=np.float32)
    y = np.argmax(x @ w + 0.5 * rng.standard_normal((plan.samples, plan.classes), dtype=np.float32), axis=1)
    return x, y.astype("int32")


def build_model(plan: Plan):
    """A small MLP compiled with Adam (whose moments make optimizer state matter)."""
    inputs = keras.Input(shape=(plan.features,), name="features")
    h = keras.layers.Dense(32, activation="relu", name="hidden")(inputs)
    outputs = keras.layers.Dense(plan.classes, activation="softmax", name="probs")(h)
    model = keras.Model(inputs, outputs, name="resumable_mlp")
    model.compile(optimizer=keras.optimizers.Adam(plan.learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def batch_order(plan: Plan, epoch: int) -> np.ndarray:
    """The order in which epoch *epoch* visits the samples: depends on (seed, epoch) only."""
    V.integer(epoch, "epoch", low=0, high=plan.epochs - 1)
    return np.random.default_rng([plan.seed, int(epoch)]).permutation(plan.samples)


def checkpoints(directory) -> list[tuple[int, Path]]:
    """``[(step, path), ...]`` of the ``ckpt-<step>.keras`` files in *directory*, oldest first.

    The step comes from the name, not from file times (copies and coarse clocks reorder
    those). Temporary files of an interrupted write (``tmp-…``) are not listed.
    """
    d = Path(directory)
    if not d.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in d.iterdir() if (m := CHECKPOINT_RE.match(p.name)) and p.is_file()]
    return sorted(found)


def restore(directory, log: Callable[[str], None] = print, plan: Plan | None = None):
    """Load the newest readable checkpoint: ``(model, step, path)``, or ``None`` if there is none.

    A file that cannot be loaded (cut short by a crash, or not a Keras file) is reported
    and skipped, and the next older one is tried; with *plan*, so is a checkpoint of a model
    of another shape than ``build_model(plan)``. No file is deleted.
    """
    expected = _weight_shapes(build_model(plan)) if plan is not None else None
    for step, path in reversed(checkpoints(directory)):
        try:
            model = keras.models.load_model(path)
        except Exception as exc:  # truncated zip, bad h5, wrong content ...
            log(f"skipping {path.name}: cannot be loaded ({type(exc).__name__}); trying an older checkpoint")
            continue
        if expected is not None and _weight_shapes(model) != expected:
            log(f"skipping {path.name}: it holds a model of another shape (weights {_weight_shapes(model)}, "
                f"this run builds {expected}); trying an older checkpoint")
            continue
        if getattr(model, "optimizer", None) is None:
            log(f"skipping {path.name}: it was saved without an optimizer, so training cannot resume from it")
            continue
        iterations = int(model.optimizer.iterations)
        if iterations != step:
            log(f"skipping {path.name}: its optimizer.iterations is {iterations}, not {step}")
            continue
        return model, step, path
    return None


class StepCheckpoint(keras.callbacks.Callback):
    """Save the whole model as ``ckpt-<step>.keras`` every *every* optimizer steps, atomically.

    Steps are counted with ``optimizer.iterations``, so the numbering continues across
    restarts and epochs (``ModelCheckpoint``'s ``{batch}`` restarts at every epoch).
    """

    def __init__(self, directory, every: int):
        super().__init__()
        every = V.integer(every, "every", low=1, hint="save every N steps with an int N >= 1")
        self.directory = Path(directory)
        self.every = every
        self.saved: list[Path] = []

    def on_train_batch_end(self, batch, logs=None):
        step = int(self.model.optimizer.iterations)
        if step % self.every == 0:
            self.saved.append(save_atomically(self.model, self.directory / f"ckpt-{step:06d}.keras"))


def save_atomically(model, path: Path) -> Path:
    """``model.save(path)`` through a temporary file and ``os.replace``: all or nothing."""
    path = Path(path)
    tmp = path.with_name(f"tmp-{os.getpid()}-{path.name}")
    model.save(tmp)
    os.replace(tmp, path)
    return path


def _short(exc: BaseException, n: int = 200) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= n else text[: n - 3] + "..."


def _check_plan(directory: Path, plan: Plan) -> None:
    f = directory / _PLAN_FILE
    mine = asdict(plan)
    if f.exists():
        try:
            saved = json.loads(f.read_text())
            if not isinstance(saved, dict):
                raise ValueError(f"a {type(saved).__name__}, not an object of settings")
        except (ValueError, UnicodeDecodeError) as exc:
            raise CorruptFile(
                f"{f} is not a readable plan ({type(exc).__name__}: {exc}); it was cut short or edited. "
                f"Move it away (with the checkpoints beside it) and give an empty folder for a new run, "
                f"or restore it") from None
        if saved != mine:
            diff = {k: (saved.get(k), mine.get(k)) for k in mine.keys() | saved.keys() if saved.get(k) != mine.get(k)}
            raise PlanMismatch(
                f"{directory} holds checkpoints of a run with other settings "
                f"({', '.join(f'{k}: saved {a!r}, now {b!r}' for k, (a, b) in sorted(diff.items()))}). "
                f"Rerun with the same arguments to resume it, or give another folder for a new run.")
    elif checkpoints(directory) or (directory / _FINAL).exists():
        raise PlanMismatch(f"{directory} holds checkpoints but no {_PLAN_FILE}, so kitlib cannot tell "
                           f"which settings made them; give an empty folder for a new run")
    else:
        tmp = f.with_suffix(".tmp")
        tmp.write_text(json.dumps(mine, indent=1, sort_keys=True))
        os.replace(tmp, f)


def train(plan: Plan, directory, *, progress: bool = False, step_delay: float = 0.0,
          log: Callable[[str], None] = print) -> Result:
    """Train *plan* into *directory*, resuming from its newest checkpoint if there is one.

    ``progress=True`` logs ``step k`` after every batch (after that step's checkpoint, if
    any, is on disk); ``step_delay`` sleeps that many seconds per batch so that a
    demonstration can kill the process mid-epoch. Neither changes the numbers.
    """
    from kitlib.runtime import seed_everything

    if not isinstance(plan, Plan):
        raise TypeError(f"plan must be a kitlib.resumable.Plan, got {type(plan).__name__}")
    V.number(step_delay, "step_delay", low=0, high=5, hint="seconds per batch")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    _check_plan(directory, plan)
    final = directory / _FINAL
    clean_temporary(directory, log)
    if final.exists():
        try:
            model = keras.models.load_model(final)
            if _weight_shapes(model) != _weight_shapes(build_model(plan)):
                raise ValueError("it holds a model of another shape")
        except Exception as exc:
            import zipfile
            why = ("not a complete .keras (zip) archive" if not zipfile.is_zipfile(final)
                   else f"{type(exc).__name__}: {_short(exc)}")
            raise CorruptFile(
                f"{final} exists but is corrupt ({final.stat().st_size} bytes, {why}): cut short by a "
                f"crash or a full disk, or not this run's model. "
                f"Move it away and rerun: training resumes from the newest checkpoint") from None
        log(f"{final.name} exists: this run finished at step {int(model.optimizer.iterations)}; nothing to do")
        return Result(int(model.optimizer.iterations), int(model.optimizer.iterations), final, model)

    seed_everything(plan.seed)
    x, y = make_data(plan)
    spe, bs = plan.steps_per_epoch, plan.batch_size
    restored = restore(directory, log, plan)
    if restored is None:
        model, start, source = build_model(plan), 0, None
        log(f"no checkpoint in {directory.name}/: starting at step 0 of {plan.total_steps}")
    else:
        model, start, source = restored
        log(f"resumed from {source.name}: optimizer.iterations = {start} "
            f"(epoch {start // spe + 1}, {start % spe} of {spe} batches done); "
            f"{plan.total_steps - start} steps to go")

    class Progress(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if step_delay:
                time.sleep(step_delay)
            if progress:
                log(f"step {int(self.model.optimizer.iterations)}")

    callbacks = [StepCheckpoint(directory, plan.save_freq), Progress()]
    for epoch in range(start // spe, plan.epochs):
        order = batch_order(plan, epoch)
        done = start - epoch * spe if epoch == start // spe else 0
        idx = order[done * bs:]  # the batches this epoch has not trained on yet
        history = model.fit(x[idx], y[idx], batch_size=bs, epochs=epoch + 1, initial_epoch=epoch,
                            shuffle=False, verbose=0, callbacks=callbacks)
        part = f" (mean over the {-(-len(idx) // bs)} batches this process ran)" if done else ""
        log(f"epoch {epoch + 1}/{plan.epochs}: step {int(model.optimizer.iterations)}, "
            f"loss {history.history['loss'][-1]:.4f}{part}")
    save_atomically(model, final)
    end = int(model.optimizer.iterations)
    log(f"done: step {end}, saved {final.name}")
    return Result(start, end, source, model)


def main(argv: list[str] | None = None) -> int:
    defaults = Plan()
    ap = argparse.ArgumentParser(prog="python -m kitlib.resumable",
                                 description="Train a small model with checkpoints every N steps; "
                                             "rerun the same command after a crash to resume.")
    ap.add_argument("directory", help="folder for checkpoints (created if missing)")
    for f in fields(Plan):
        ap.add_argument(f"--{f.name.replace('_', '-')}", type=type(getattr(defaults, f.name)),
                        default=getattr(defaults, f.name), help=f"(default {getattr(defaults, f.name)})")
    ap.add_argument("--progress", action="store_true", help="print 'step k' after every batch")
    ap.add_argument("--step-delay", type=float, default=0.0, help="sleep this many seconds per batch")
    args = ap.parse_args(argv)

    def log(msg: str) -> None:
        print(msg, flush=True)

    try:
        plan = Plan(**{f.name: getattr(args, f.name) for f in fields(Plan)})
        import kitlib.runtime
        kitlib.runtime.quiet_logs()
        train(plan, args.directory, progress=args.progress, step_delay=args.step_delay, log=log)
    except (ValueError, TypeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
