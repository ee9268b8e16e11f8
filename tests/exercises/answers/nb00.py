"""Test data for kitlib.exercises.nb00: realistic wrong answers (each with a substring of the
message its check must give) and other correct forms, tried by tests/exercises/test_catalog.py."""

from kitlib.exercises import Wrong, variant  # noqa: F401


q1 = dict(
    wrong=(
        Wrong("n_images = data.x_train.shape", "first number"),
        Wrong("n_images = data.x_train.shape[1]", "pixels"),
        Wrong("n_images = len(data.x_val)", "validation"),
        Wrong("n_images = str(len(data.x_train))", "whole number"),
        Wrong("n_images = len(data.x_train) + len(data.x_val)", "validation images too"),
    ),
    alternatives=("n_images = data.x_train.shape[0]", "n_images = data.x_train.shape[0] * 1"),
)
