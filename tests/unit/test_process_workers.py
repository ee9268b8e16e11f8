"""kitlib.pipeline.process_workers: use_multiprocessing=True with a notebook-defined PyDataset
is refused with the fix where worker processes cannot import it (spawn, forkserver)."""

from __future__ import annotations

import multiprocessing

from kitlib.pipeline import process_workers


class Imported:   # defined in an importable module, like a class in a .py file
    pass


Notebook = type("Notebook", (), {"__module__": "__main__"})   # as a notebook cell defines it


def test_fork_runs_any_class_and_spawn_refuses_notebook_classes_with_the_fix(monkeypatch):
    monkeypatch.setattr(multiprocessing, "get_start_method", lambda allow_none=False: "fork")
    assert process_workers(Notebook) == (True, "")
    for method in ("spawn", "forkserver"):
        monkeypatch.setattr(multiprocessing, "get_start_method", lambda allow_none=False, m=method: m)
        ok, why = process_workers(Notebook)
        assert not ok and repr(method) in why and "`Notebook`" in why and ".py file" in why
        assert process_workers(Imported) == (True, "")
