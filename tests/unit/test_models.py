"""kitlib.models: the guide's MLP factories."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from kitlib import models


def test_uncompiled_model_matches_the_guide():
    m = models.get_uncompiled_model()
    assert [l.name for l in m.layers] == ["digits", "dense_1", "dense_2", "predictions"]
    assert m.count_params() == 784 * 64 + 64 + 64 * 64 + 64 + 64 * 10 + 10 == 55050
    assert m.output_shape == (None, 10)
    assert m.layers[-1].activation is keras.activations.softmax
    assert not m.compiled


def test_compiled_model_uses_the_guides_settings():
    m = models.get_compiled_model()
    assert isinstance(m.optimizer, keras.optimizers.RMSprop)
    assert float(m.optimizer.learning_rate) == pytest.approx(1e-3)
    x = np.zeros((4, 784), "float32")
    y = np.array([0, 1, 2, 3], "float32")
    logs = m.evaluate(x, y, verbose=0, return_dict=True)
    assert set(logs) == {"loss", "sparse_categorical_accuracy"}


def test_compile_arguments_can_be_overridden():
    m = models.get_compiled_model(optimizer=keras.optimizers.Adam(2e-3), metrics=["accuracy"])
    assert isinstance(m.optimizer, keras.optimizers.Adam)
    m2 = models.get_uncompiled_model(hidden=(32,), num_classes=3)
    assert m2.output_shape == (None, 3) and [l.name for l in m2.layers][1] == "dense_1"


@pytest.mark.parametrize("kwargs, err", [({"hidden": (64, 0)}, ValueError), ({"hidden": ("64",)}, TypeError),
                                         ({"num_classes": 0}, ValueError), ({"input_dim": True}, TypeError)])
def test_bad_shapes_are_rejected(kwargs, err):
    with pytest.raises(err, match="positive int"):
        models.get_uncompiled_model(**kwargs)
