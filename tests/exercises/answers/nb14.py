"""Test data for kitlib.exercises.nb14: realistic wrong answers (each with a substring of the
message its check must give) and other correct forms, tried by tests/exercises/test_catalog.py."""

from kitlib.exercises import Wrong, variant  # noqa: F401
from kitlib.exercises.nb14 import (  # noqa: F401
    _CHIEF_HEAD,
    _CHIEF_SOLUTION,
    _GLOBAL_SOLUTION,
    _SCALED_SOLUTION,
)

_GLOBAL = "per_replica_batch * strategy.num_replicas_in_sync"
_SCALED = "base_lr * global_batch / base_batch"

q1 = dict(
    wrong=(
        Wrong(variant(_GLOBAL_SOLUTION, (_GLOBAL, "per_replica_batch // strategy.num_replicas_in_sync")),
              "divided by the replicas"),
        Wrong(variant(_GLOBAL_SOLUTION, (_GLOBAL, "per_replica_batch / (1 / strategy.num_replicas_in_sync)")),
              "whole number"),
        Wrong(variant(_GLOBAL_SOLUTION, (_GLOBAL, "per_replica_batch * len(tf.config.list_logical_devices())")),
              "len(tf.config.list_logical_devices())"),
        Wrong(variant(_GLOBAL_SOLUTION, (_GLOBAL, "per_replica_batch * 2")), "does not come from the strategy",
              kind="hardcoded"),
        Wrong(variant(_GLOBAL_SOLUTION, (_GLOBAL, "128")), "GLOBAL_BATCH", kind="hardcoded"),
        Wrong(variant(_GLOBAL_SOLUTION, (_GLOBAL, "per_replica_batch")), "per_replica_batch itself"),
    ),
    alternatives=(
        variant(_GLOBAL_SOLUTION, (_GLOBAL, "int(strategy.num_replicas_in_sync * per_replica_batch)")),
        variant(_GLOBAL_SOLUTION, (_GLOBAL, "sum(per_replica_batch for _ in range(strategy.num_replicas_in_sync))")),
        variant(_GLOBAL_SOLUTION, (_GLOBAL, "np.int64(per_replica_batch) * strategy.num_replicas_in_sync")),
    ),
)

q2 = dict(
    wrong=(
        Wrong(variant(_SCALED_SOLUTION, (_SCALED, "base_lr * base_batch / global_batch")), "upside down"),
        Wrong(variant(_SCALED_SOLUTION, (_SCALED, "base_lr * (global_batch / base_batch) ** 0.5")),
              "square-root rule"),
        Wrong(variant(_SCALED_SOLUTION, (_SCALED, "base_lr * (global_batch // base_batch)")), "`32 // 128` is 0"),
        Wrong(variant(_SCALED_SOLUTION, (_SCALED, "base_lr * global_batch // base_batch")), "rounds"),
        Wrong(variant(_SCALED_SOLUTION, (_SCALED, "global_batch / base_batch")), "factor alone"),
        Wrong(variant(_SCALED_SOLUTION, (_SCALED, "2 * base_lr")), "double base_lr whatever", kind="hardcoded"),
        Wrong(variant(_SCALED_SOLUTION, (_SCALED, "0.02")), "section 3's answer", kind="hardcoded"),
    ),
    alternatives=(
        variant(_SCALED_SOLUTION, (_SCALED, "base_lr * (global_batch / base_batch)")),
        variant(_SCALED_SOLUTION, (_SCALED, "base_lr / (base_batch / global_batch)")),
        variant(_SCALED_SOLUTION, (_SCALED, "np.float32(base_lr) * np.float32(global_batch) / base_batch")),
    ),
)

q3 = dict(
    wrong=(
        Wrong(_CHIEF_HEAD + '    return json.loads(tf_config)["task"]["index"] == 0', "ordinary worker"),
        Wrong(_CHIEF_HEAD + '    return json.loads(tf_config)["task"]["type"] == "chief"', "no \"chief\" job"),
        Wrong(_CHIEF_HEAD + ('    task = json.loads(tf_config)["task"]\n'
                             '    return task["type"] == "worker" and task["index"] == 0  # the TensorFlow tutorial\'s'),
              "ordinary worker"),
        Wrong(_CHIEF_HEAD + ('    config = json.loads(tf_config)\n'
                             '    task = config["task"]\n'
                             '    return task["index"] == 0 and not ("chief" in config["cluster"] and '
                             'task["type"] == "worker")'), "parameter server"),
        Wrong(variant(_CHIEF_SOLUTION, ("json.loads(tf_config)", "tf_config")), "json.loads(tf_config)"),
        Wrong(variant(_CHIEF_SOLUTION, ("json.loads(tf_config)", "json.load(tf_config)")), "json.loads"),
        Wrong(variant(_CHIEF_SOLUTION, ("json.loads(tf_config)", 'json.loads(os.environ["TF_CONFIG"])')),
              "environment variable"),
        Wrong(_CHIEF_HEAD + '    return \'"index": 0\' in tf_config', "how the JSON text is written", kind="hardcoded"),
        Wrong(_CHIEF_HEAD + "    return True  # this notebook's worker 0", "every task", kind="hardcoded"),
        Wrong(variant(_CHIEF_SOLUTION, ('task["index"] == 0', 'task["index"] == "0"')), "with a str"),
        Wrong(variant(_CHIEF_SOLUTION, ('return task["type"] == "chief"', 'return int(task["type"] == "chief")')),
              "True or False"),
    ),
    alternatives=(
        _CHIEF_HEAD + ('    config = json.loads(tf_config)\n'
                       '    chief = ("chief", 0) if "chief" in config["cluster"] else ("worker", 0)\n'
                       '    return (config["task"]["type"], config["task"]["index"]) == chief'),
        _CHIEF_HEAD + ('    task = json.loads(tf_config)["task"]\n'
                       '    has_chief = "chief" in json.loads(tf_config)["cluster"]\n'
                       '    return np.bool_(task["type"] == "chief" or (not has_chief and task["type"] == "worker"\n'
                       '                                               and task["index"] == 0))'),
        variant(_CHIEF_SOLUTION, ('if "chief" in config["cluster"]:', 'if config["cluster"].get("chief"):')),
    ),
)
