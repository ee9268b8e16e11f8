"""Exercises for notebook 14 · Distributed training (``from kitlib.exercises import ___, nb14 as ex``).

1. The global batch (easy): ``per_replica_batch * strategy.num_replicas_in_sync``, read from the strategy.
2. Scale the learning rate (medium): the linear scaling rule for batches that grow, shrink, or are not multiples.
3. Who is the chief? (thought-provoking): from the ``TF_CONFIG`` text, the chief task, with and without a chief job.

The checks call each answer on inputs they build (stand-in strategies, TF_CONFIGs written several ways).
"""

import functools
import json
import math
import numbers
import os
import re
from typing import NamedTuple

import numpy as np

from kitlib.exercises import Incorrect, NotAttempted, contains_placeholder, describe, exercise, expect, guarded, variant

_BEFORE_FIT = "the answer is plain Python computed before fit() is called; nothing of it runs inside fit()"


def _context():
    import keras
    import tensorflow as tf
    # the notebook's `strategy` mirrors over 2 logical CPUs (or the GPUs); the default strategy stands in for it
    return {"tf": tf, "keras": keras, "np": np, "json": json, "os": os, "strategy": tf.distribute.get_strategy()}


def _call_plain(fn, name: str, *args, known: tuple = ()):
    """:func:`call` with *known* advice for errors (see :func:`guarded`), refusing a missing ``return``."""
    expect(callable(fn), f"`{name}` should be a function (`def {name}(...):`), but it is {describe(fn)}.")
    got = guarded(lambda: fn(*args), name, known=known, doing=f"Calling `{name}`")
    if contains_placeholder(got):
        raise NotAttempted(f"`{name}` still returns ___: replace it with your answer, run its cell, then check again.")
    expect(got is not None, f"`{name}` returned None: did you forget `return`?")
    return got


def _number(got, name: str, wanted: str) -> float:
    """*got* (what *name* returned) as a float if a real number (NumPy's, TensorFlow's; not a bool), else Incorrect."""
    try:
        if isinstance(got, numbers.Real) and not isinstance(got, bool):
            return float(got)
        array = np.asarray(got) if hasattr(got, "dtype") else None
        if array is not None and array.shape == () and array.dtype.kind in "iuf":
            return float(array)
    except Exception:  # a learner's object whose attributes misbehave
        pass
    raise Incorrect(f"`{name}(...)` should return {wanted}, but it returned {describe(got)}.")


class _StandInStrategy(NamedTuple):
    """Stands in for a strategy (3 or 8 replicas need devices a laptop lacks): a read-only replica count."""
    num_replicas_in_sync: int


#: (replicas, per-replica batch) of the stand-ins, after the notebook's own strategy with 64 per replica
CASES_14_1 = ((1, 32), (3, 50), (8, 12), (2, 100))
_FIX_14_1 = "Multiply by the strategy's own count: `per_replica_batch * strategy.num_replicas_in_sync`."
_STAND_IN_ADVICE = ((lambda text: "_StandInStrategy" in text,
                     ("`global_batch_for` reads something that only some strategies have; the check also passes "
                      "stand-ins with 1, 3 and 8 replicas, which have what all do: `strategy.num_replicas_in_sync`.")),)
_GLOBAL_SOLUTION = '''
def global_batch_for(per_replica_batch, strategy):
    """The batch size to pass to fit() so that each replica of `strategy` trains on
    `per_replica_batch` samples per step."""
    return per_replica_batch * strategy.num_replicas_in_sync  # every replica's share, together
'''


def _global_batch_problem(replicas: int, per_replica: int, got: float, factor: int | None) -> str:
    """What a wrong global batch *got* follows; *factor*: what it multiplied per_replica_batch by in every case."""
    import tensorflow as tf
    devices = {len(tf.config.list_logical_devices(kind)) for kind in (None, "CPU", "GPU")}  # counts an answer may use
    if (replicas > 1 and math.isclose(got, per_replica / replicas)) or got == per_replica // replicas != per_replica:
        return (f"that is per_replica_batch divided by the replicas (section 2's way to one replica's share). fit() "
                f"gets the global batch: {replicas} replicas × {per_replica} = {per_replica * replicas}.")
    if factor == 1:
        return (f"per_replica_batch itself, which fit() would split into {replicas} shares of about "
                f"{per_replica / replicas:g}." + (" The number of devices, `len(tf.config.list_logical_devices())`, "
                                                  "is 1 here: not the strategy's count either.") * (1 in devices))
    if factor is not None:
        why = (f"{factor} is the number of devices TensorFlow sees here, if you counted them, but a strategy may use "
               f"only some, or several machines' devices: section 4" if factor in devices else "a fixed number?")
        return f"{per_replica} × {factor} whatever the strategy: the {factor} does not come from the strategy ({why})."
    share = "the one replica" if replicas == 1 else f"each of the {replicas} replicas"
    return f"{share} should get {per_replica} samples per step, so fit() needs batch_size={per_replica * replicas}."


@exercise(
    "14.1", "The global batch", answers=("global_batch_for",),
    starter=variant(_GLOBAL_SOLUTION, (_GLOBAL_SOLUTION.split("return ")[1].rstrip(), "___")), solution=_GLOBAL_SOLUTION, context=_context,
    hints=(("Each step, the strategy splits the batch that fit() gets between its replicas. How many replicas "
            "does `strategy` have? Section 1 printed it."),
           ("`strategy.num_replicas_in_sync` is the number of replicas (on every worker together, with several "
            "machines); the global batch is the shares of all replicas together."),
           ("Multiply: `per_replica_batch * strategy.num_replicas_in_sync`. Section 2 did the opposite, "
            "`GLOBAL_BATCH // strategy.num_replicas_in_sync`.")),
    varies=("the strategy: this notebook's `strategy`, then stand-ins with 1, 3, 8 and 2 replicas\n"
            "per_replica_batch: 64 (the notebook's), 32, 50, 12, 100, so no fixed number or device count fits all"),
    exempt={"mutates": ("the arguments are a whole number and a strategy whose replica count is read-only; "
                        "the answer only reads them"), "graph": _BEFORE_FIT},
)
def q1(global_batch_for, strategy):
    """Calls global_batch_for on the notebook's strategy and stand-ins with 1, 3, 8, 2 replicas: it must return the
    int per_replica_batch × num_replicas_in_sync; names a division, a fixed factor, the device count, the 128."""
    try:
        notebook_replicas = int(strategy.num_replicas_in_sync)
    except Exception:
        raise Incorrect(f"`strategy` should be the strategy that section 1 created, but it is {describe(strategy)}: "
                        f"run that cell again (and give your own variables other names).") from None
    results = []  # (the case in words, replicas, per_replica_batch, the answer, as a float)
    for shown, replicas, per_replica, given in (("this notebook's `strategy`", notebook_replicas, 64, strategy),
                                                *(("a strategy", n, p, _StandInStrategy(n)) for n, p in CASES_14_1)):
        got = _call_plain(global_batch_for, "global_batch_for", per_replica, given, known=_STAND_IN_ADVICE)
        value = _number(got, "global_batch_for", "a whole number, the batch size for fit()")
        which = f"For {shown} with {replicas} replica{'s' * (replicas != 1)} and per_replica_batch={per_replica}"
        results.append((which, replicas, per_replica, got, value))
    values = {value for *_, value in results}
    notebook = " (this notebook's GLOBAL_BATCH, right for 2 replicas of 64 only)" * (values == {128})
    expect(len(values) > 1, f"`global_batch_for` returns {min(values):g}{notebook} whatever the strategy and the "
                            f"per-replica batch: compute it from the arguments. {_FIX_14_1}")
    factors = {value / per_replica for _, _, per_replica, _, value in results}
    factor = int(min(factors)) if len(factors) == 1 and min(factors).is_integer() else None  # the same in all cases
    for which, replicas, per_replica, _, value in results:
        if not math.isclose(value, per_replica * replicas, rel_tol=1e-9):
            problem = _global_batch_problem(replicas, per_replica, value, factor)
            raise Incorrect(f"{which} you return {value:g}; {problem} {_FIX_14_1}")
    for which, _, _, got, value in results:  # the right sizes: are they ints (NumPy's too; a bool never gets here)?
        why = (f": `batch_size={value!r}` fails with a TypeError. `*` of whole numbers gives one, `/` always a float: "
               f"leave the division out, or convert with `int(...)`." if isinstance(got, numbers.Real) else
               ". Convert it with `int(...)`.")
        expect(isinstance(got, numbers.Integral), f"{which} you return {describe(got)}: the right size, but fit()'s "
                                                  f"batch_size must be a whole number (an int){why}")
    return ("Right for this notebook's strategy and for stand-ins with 1, 3, 8 and 2 replicas: fit() gets the "
            "global batch, and each replica trains on `per_replica_batch` samples of every step.")


#: (base_lr, base_batch, global_batch): section 3's doubling, factors 3, a quarter, 1.5, 2.5, and the same batch
CASES_14_2 = ((0.01, 64, 128), (0.1, 256, 768), (0.001, 128, 32), (0.01, 64, 96), (0.05, 100, 300),
              (0.003, 100, 250), (0.2, 512, 512))
_SCALED_SOLUTION = '''
def scaled_learning_rate(base_lr, base_batch, global_batch):
    """The learning rate for batches of `global_batch` samples by the linear scaling rule,
    when `base_lr` worked well with batches of `base_batch` samples."""
    return base_lr * global_batch / base_batch  # grows (or shrinks) by the factor the batch did
'''
_FIX_14_2 = "Multiply base_lr by the factor the batch grew by: `base_lr * global_batch / base_batch`."
_close = functools.partial(math.isclose, rel_tol=1e-5, abs_tol=1e-12)
#: (what a wrong answer may return for a case, what to tell its author, formatted with the numbers of the case shown)
_RULES_14_2 = (
    (lambda lr, base, new: lr * base / new, ("Your ratio is upside down: a batch {ratio:g} times as large takes a "
                                             "learning rate {ratio:g} times as large, not {inverse:g} times.")),
    (lambda lr, base, new: lr * (new // base),
     "`//` is floor division: `{new} // {base}` is {floor}, where the factor is {ratio:g}: use `/`."),
    (lambda lr, base, new: (lr * new) // base,
     "`//` is floor division: it rounds ({lr:g} × {new}) / {base} = {want:g} down to {got:g}: use `/`."),
    (lambda lr, base, new: 2 * lr, "You double base_lr whatever the batches: ×2 holds for section 3's 64 → 128 only."),
    (lambda lr, base, new: 0.02, "You return 0.02 whatever the batches, section 3's answer for 64 → 128."),
    (lambda lr, base, new: lr * math.sqrt(new / base),
     "You multiply by √({new}/{base}), the square-root rule (sometimes used with Adam); here, the linear one."),
    (lambda lr, base, new: new / base, "That is the factor alone; the learning rate is base_lr times it."),
    (lambda lr, base, new: lr * new, "The factor is global_batch divided by base_batch."),
    (lambda lr, base, new: lr * new * base, "The factor is global_batch divided by base_batch."),
    (lambda lr, base, new: lr, "You return base_lr unchanged."),
)


@exercise(
    "14.2", "Scale the learning rate", answers=("scaled_learning_rate",),
    starter=variant(_SCALED_SOLUTION, (_SCALED_SOLUTION.split("return ")[1].rstrip(), "___")), solution=_SCALED_SOLUTION, context=_context,
    hints=(("Section 3: when the global batch grows by some factor, the linear scaling rule multiplies the "
            "learning rate by that same factor."),
           ("The factor is `global_batch / base_batch`: 2 for 64 → 128, 1.5 for 64 → 96, 0.25 for 128 → 32. "
            "Write it with `/`: `//` would drop the .5 and the .25."),
           "`base_lr * global_batch / base_batch`"),
    varies=("base_lr, base_batch and global_batch over seven cases: section 3's 64 → 128, 256 → 768, 100 → 300, a "
            "smaller batch (128 → 32), factors that are not whole numbers (64 → 96, 100 → 250), the same batch"),
    exempt={"mutates": "the arguments are three numbers, which cannot be changed in place", "graph": _BEFORE_FIT},
)
def q2(scaled_learning_rate):
    """Calls scaled_learning_rate on seven cases (batches growing, shrinking, the same): it must return base_lr ×
    global / base; names an inverted ratio, `//`, a fixed ×2 or 0.02, √, a missing factor, rounding."""
    results = []
    for lr, base, new in CASES_14_2:
        got = _call_plain(scaled_learning_rate, "scaled_learning_rate", lr, base, new)
        results.append((lr, base, new, _number(got, "scaled_learning_rate", "a number, the learning rate")))
    for lr, base, new, got in results:  # the first wrong case, and the rule the answer follows on all, if a known one
        want = lr * new / base
        if _close(got, want):
            continue
        rules = (*_RULES_14_2, (lambda *_: got, "You return {got:g} whatever the batches: compute it from them."))
        advice = next((text for rule, text in rules if all(_close(g, rule(*case)) for *case, g in results)), "")
        if not advice and all(any(_close(g, round(l_ * n_ / b_, k)) for k in range(6)) for l_, b_, n_, g in results):
            advice = "You round the result: a learning rate as small as {want:g} needs its digits. Return it unrounded."
        else:
            advice = f"{advice} {_FIX_14_2}".lstrip()
        raise Incorrect(f"For base_lr={lr:g} with batches of {base}, and a global batch of {new}, you return {got:g}; "
                        f"the linear scaling rule gives {lr:g} × {new}/{base} = {want:g}. " + advice.format(
                            lr=lr, base=base, new=new, got=got, want=want, ratio=new / base, inverse=base / new,
                            floor=new // base))
    return ("Right for all seven cases: batches 1.5, 2, 2.5 and 3 times as large, a quarter as large or the same, and "
            "the learning rate changes by the same factor: a starting point to measure (section 3), not a law.")


def _case(jobs: dict[str, int], task_type: str, index: int, address: str = "{job}-{i}.cluster.example:2222") -> dict:
    """A TF_CONFIG as a dict: *jobs* maps a job name to its number of tasks."""
    return {"cluster": {job: [address.format(job=job, i=i) for i in range(n)] for job, n in jobs.items()},
            "task": {"type": task_type, "index": index}}


#: the notebook's cluster (LocalCluster: 2 workers on 127.0.0.1), then a chief job, parameter servers, 1 to 4 workers
CASES_14_3 = (
    _case({"worker": 2}, "worker", 0, "127.0.0.1:2000{i}"), _case({"worker": 2}, "worker", 1, "127.0.0.1:2000{i}"),
    _case({"chief": 1, "worker": 3}, "worker", 0), _case({"chief": 1, "worker": 3}, "chief", 0),
    _case({"worker": 4}, "worker", 3), _case({"worker": 1}, "worker", 0),
    _case({"chief": 1, "worker": 2, "ps": 2}, "ps", 0), _case({"chief": 1, "worker": 3}, "worker", 2),
    _case({"worker": 4}, "worker", 0),
)
#: guarded()'s known= advice for errors of answers that do not parse the text: (a test of the error's text, advice)
_CHIEF_ERRORS = (
    (lambda text: "has no attribute 'read'" in text,
     "`json.load` reads from a file; `tf_config` is already the text: `json.loads(tf_config)` (s for string)."),
    (lambda text: "string indices" in text or "'str' object has no attribute" in text,
     "`tf_config` is the JSON *text* of TF_CONFIG, a str, not a dict: parse it first, `json.loads(tf_config)`."),
    (lambda text: "TF_CONFIG" in text, ("`is_chief` reads the environment variable TF_CONFIG, which this kernel "
                                        "lacks (each worker has its own): use its argument, `json.loads(tf_config)`.")),
    (lambda text: re.fullmatch(r"'[^']*'", text) is not None,  # a KeyError
     ("`is_chief` raised a KeyError: a key this TF_CONFIG does not have. A cluster may have no \"chief\" job: ask "
      "`\"chief\" in config[\"cluster\"]` before reading it. The task is {\"type\": ..., \"index\": ...}.")),
)
_CHIEF_HEAD = '''
def is_chief(tf_config):
    """True when the task that reads this TF_CONFIG (the JSON text of the environment
    variable) is the chief, the one task that saves the results."""
'''
_CHIEF_SOLUTION = _CHIEF_HEAD + '''\
    config = json.loads(tf_config)  # {"cluster": {job: [addresses]}, "task": {"type", "index"}}
    task = config["task"]
    if "chief" in config["cluster"]:  # the cluster names a chief: that task is the chief
        return task["type"] == "chief"
    return task["type"] == "worker" and task["index"] == 0  # workers only: worker 0 is the chief
'''


@exercise(
    "14.3", "Who is the chief?", answers=("is_chief",),
    starter=_CHIEF_HEAD + "    return ___", solution=_CHIEF_SOLUTION, context=_context,
    hints=(("`tf_config` is text, as `os.environ[\"TF_CONFIG\"]` gives it: `json.loads(tf_config)` turns it into a "
            "dict with the keys `\"cluster\"` (job name → list of addresses) and `\"task\"` (`{\"type\": ..., "
            "\"index\": ...}`)."),
           ("Two kinds of cluster: with a `\"chief\"` job (next to `\"worker\"`), or workers only, as in section 4. "
            "Which task is the chief in each?"),
           ("With a chief job, the chief is the task whose type is `\"chief\"`; worker 0 is then an ordinary worker. "
            "With workers only, it is the task `{\"type\": \"worker\", \"index\": 0}`.")),
    varies=("the cluster: workers only (1, 2 or 4), a chief job with 3 workers, with workers and parameter servers\n"
            "the task: worker 0, 1, 2 or 3, the chief, a ps task\nthe text: each TF_CONFIG written three ways"),
    exempt={"mutates": "the answer gets the TF_CONFIG text, a str, which cannot be changed", "graph": _BEFORE_FIT},
)
def q3(is_chief):
    """Calls is_chief on nine TF_CONFIG texts, each written three ways, and compares with tf.distribute's rule; names
    index 0 alone, type "chief" alone, a ps task, text search, no json.loads, the index compared with "0"."""
    verdicts = []
    for config in CASES_14_3:
        words = f'task {json.dumps(config["task"])} of a cluster with the jobs ' + ", ".join(
            f"{job} ({len(tasks)} task{'s' * (len(tasks) != 1)})" for job, tasks in config["cluster"].items())
        seen = []  # the same TF_CONFIG written as json.dumps does, compact, and indented with the task first
        for text in (json.dumps(config), json.dumps(config, separators=(",", ":")),
                     json.dumps(dict(reversed(config.items())), indent=2)):
            got = _call_plain(is_chief, "is_chief", text, known=_CHIEF_ERRORS)
            expect(isinstance(got, (bool, np.bool_)), f"`is_chief(...)` should return True or False, as a comparison "
                                                      f"(`==`) gives, but it returned {describe(got)}.")
            seen.append(bool(got))
        expect(len(set(seen)) == 1,
               f"For the {words}, you answer {seen[0]} or {not seen[0]} depending on how the JSON text is written "
               f"(spaces, the order of the keys): parse it with `json.loads(tf_config)` instead of searching it.")
        verdicts.append((config, words, seen[0]))
    answers = {got for *_, got in verdicts}
    for config, words, got in verdicts:  # tf.distribute's rule (multi_worker_util.is_chief) for these task types
        task, chief_job, said = config["task"], "chief" in config["cluster"], f"For the {words} you return {got}"
        if got == (task["type"] == "chief" if chief_job else task == {"type": "worker", "index": 0}):
            continue
        expect(not chief_job or task["type"] != "chief",
               f'{said}, but this task *is* the chief, the one a "chief" job names. Return `task["type"] == "chief"` '
               f'when `"chief" in config["cluster"]`.')
        expect(not chief_job or task["type"] != "worker",
               f'{said}: with a "chief" job, the "chief" task is the chief and worker {task["index"]} an ordinary '
               f'worker, index 0 included. Look at `config["cluster"]` first.')
        expect(not chief_job, f'{said}: a "{task["type"]}" task (a parameter server holds variables) is never the '
                              f"chief, whatever its index. Look at the task's type, not only at its index.")
        # the first case an answer gets wrong shows if it says True (case 1) or False (case 0) for every task
        expect(answers != {True}, "`is_chief` returns True for every task: then every worker saves, and their files "
                                  "collide (the note after section 5). Exactly one task is the chief.")
        expect(not got, f"{said}: in a cluster of workers only, worker 0 is the chief and worker {task['index']} is "
                        f"not. Several workers saving the same files collide (the note after section 5).")
        try:  # an answer that compares the index with "0" says True when it is written as the text "0"
            said_for_text = is_chief(json.dumps(dict(config, task=dict(task, index=str(task["index"])))))
        except Exception:
            said_for_text = False
        expect(not (isinstance(said_for_text, (bool, np.bool_)) and said_for_text), f'{said}, but True with the index '
               f'written as the text "0": you compare it with a str. The index is a number: `task["index"] == 0`.')
        expect(answers != {False}, "`is_chief` returns False for every task: then no task saves the results. "
                                   "Exactly one task is the chief: worker 0 in section 4's cluster.")
        raise Incorrect(f'{said}, but this cluster has no "chief" job (section 4\'s kind: only workers), and then '
                        f"worker 0 is the chief. With your rule nobody here would save the results.")
    return ('Right for all nine TF_CONFIGs, however written: the "chief" task if there is a chief job, else worker 0, '
            'as `tf.distribute` decides. Section 4\'s script can save if `is_chief(os.environ["TF_CONFIG"])`.')
