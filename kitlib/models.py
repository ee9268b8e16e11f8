"""The guide's model factories (Keras 3 functional API)."""

from __future__ import annotations

import keras
from keras import layers

__all__ = ["get_uncompiled_model", "get_compiled_model"]


def get_uncompiled_model(input_dim: int = 784, hidden: tuple[int, ...] = (64, 64),
                         num_classes: int = 10) -> keras.Model:
    """The guide's MLP: 784 → Dense(64, relu) → Dense(64, relu) → Dense(10, softmax).

    Layer names match the guide ("digits", "dense_1", "dense_2", "predictions").
    """
    for what, v in (("input_dim", input_dim), ("num_classes", num_classes)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ValueError(f"{what} must be a positive int, got {v!r}")
    if isinstance(hidden, int):
        hidden = (hidden,)
    if not all(isinstance(h, int) and not isinstance(h, bool) and h > 0 for h in hidden):
        raise ValueError(f"hidden must be a tuple of positive ints (units per layer), got {hidden!r}")
    inputs = keras.Input(shape=(input_dim,), name="digits")
    x = inputs
    for i, units in enumerate(hidden, start=1):
        x = layers.Dense(units, activation="relu", name=f"dense_{i}")(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="predictions")(x)
    return keras.Model(inputs=inputs, outputs=outputs)


def get_compiled_model(optimizer="rmsprop", loss="sparse_categorical_crossentropy",
                       metrics=("sparse_categorical_accuracy",), **compile_kwargs) -> keras.Model:
    """The guide's MLP compiled as in the guide (RMSprop, sparse CE, sparse accuracy).

    Any argument of ``Model.compile`` may be overridden, e.g.
    ``get_compiled_model(optimizer=keras.optimizers.Adam(1e-3))``.
    """
    model = get_uncompiled_model()
    model.compile(optimizer=optimizer, loss=loss, metrics=list(metrics) if metrics else None,
                  **compile_kwargs)
    return model
