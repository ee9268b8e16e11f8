"""The guide's model factories (Keras 3 functional API)."""

from __future__ import annotations

import keras
from keras import layers

from kitlib import _validate as V

__all__ = ["get_uncompiled_model", "get_compiled_model", "get_multi_io_model"]


def get_uncompiled_model(input_dim: int = 784, hidden: tuple[int, ...] = (64, 64),
                         num_classes: int = 10) -> keras.Model:
    """The guide's MLP: 784 → Dense(64, relu) → Dense(64, relu) → Dense(10, softmax).

    Layer names match the guide ("digits", "dense_1", "dense_2", "predictions").
    """
    for what, v in (("input_dim", input_dim), ("num_classes", num_classes)):
        V.integer(v, what, low=1)
    if isinstance(hidden, int) and not isinstance(hidden, bool):
        hidden = (hidden,)
    if not isinstance(hidden, (tuple, list)):
        raise TypeError(f"hidden must be a tuple of positive ints (units per layer), got {hidden!r} "
                        f"({type(hidden).__name__})")
    for i, h in enumerate(hidden):
        V.integer(h, f"hidden[{i}]", low=1, hint="units per layer")
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


def get_multi_io_model(image_shape: tuple[int, int, int] = (32, 32, 3), ts_features: int = 10,
                       num_classes: int = 5, filters: int = 3) -> keras.Model:
    """The guide's two-input, two-output model (uncompiled).

    Inputs ``img_input`` (an image) and ``ts_input`` (a time series of any length with
    ``ts_features`` features); each goes through a small convolution and global max
    pooling, the two are concatenated, and two heads read the result:
    ``score_output`` (1 number, regression) and ``class_output`` (``num_classes`` logits).
    """
    if (not isinstance(image_shape, tuple) or len(image_shape) != 3
            or not all(isinstance(d, int) and not isinstance(d, bool) for d in image_shape)
            or min(image_shape[:2]) < 3 or image_shape[2] < 1):
        raise ValueError(f"image_shape must be (height, width, channels) with height and width >= 3 "
                         f"(the 3×3 convolution) and channels >= 1, got {image_shape!r}")
    for what, v in (("ts_features", ts_features), ("num_classes", num_classes), ("filters", filters)):
        V.integer(v, what, low=1)
    image_input = keras.Input(shape=image_shape, name="img_input")
    timeseries_input = keras.Input(shape=(None, ts_features), name="ts_input")
    x1 = layers.Conv2D(filters, 3, name="img_conv")(image_input)
    x1 = layers.GlobalMaxPooling2D(name="img_pool")(x1)
    x2 = layers.Conv1D(filters, 3, name="ts_conv")(timeseries_input)
    x2 = layers.GlobalMaxPooling1D(name="ts_pool")(x2)
    x = layers.concatenate([x1, x2], name="features")
    score_output = layers.Dense(1, name="score_output")(x)
    class_output = layers.Dense(num_classes, name="class_output")(x)
    return keras.Model(inputs=[image_input, timeseries_input], outputs=[score_output, class_output],
                       name="multi_io")
