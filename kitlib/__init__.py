"""kitlib: the helpers behind the Keras 3 training & evaluation teaching kit.

Importing kitlib is cheap: it only quiets TensorFlow's C++ logging (which must happen
before TensorFlow is imported) and picks the TensorFlow backend for Keras. The
submodules that need TensorFlow are imported on first use::

    import kitlib
    kit = kitlib.setup("01_end_to_end", smoke=SMOKE, seed=SEED)
    data = kit.mnist()

Modules: ``kitlib.data`` (offline MNIST / Fashion-MNIST), ``kitlib.models`` (the
guide's model factories), ``kitlib.runtime`` (seeding, smoke/full mode, work dirs,
environment report, claims), ``kitlib.live`` (live training plot), ``kitlib.widgets``
(slider panels that drive real training), ``kitlib.exercises`` (check/hint/solution),
``kitlib.schedules`` (learning-rate schedules by name), ``kitlib.tb`` (TensorBoard logs
and server), ``kitlib.resumable`` (a training run that survives kill -9).
"""

from __future__ import annotations

import importlib
import os

# Must be set before TensorFlow is imported anywhere in the process.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

__version__ = "0.1.0"

_RUNTIME_NAMES = {"setup", "Kit", "seed_everything", "environment_report"}


def _submodules() -> set[str]:
    import pkgutil
    return {m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_")}


__all__ = sorted(_RUNTIME_NAMES | {"__version__"})


def __getattr__(name: str):
    # Any submodule (kitlib.data, kitlib.models, ...) is imported on first attribute access.
    if name in _RUNTIME_NAMES:
        return getattr(importlib.import_module("kitlib.runtime"), name)
    if not name.startswith("_") and name in _submodules():
        return importlib.import_module(f"kitlib.{name}")
    raise AttributeError(f"module 'kitlib' has no attribute {name!r}")


def __dir__():
    return sorted(set(__all__) | _submodules())
