"""The try-out exercise of notebook 00 · Start here (``from kitlib.exercises import ___, nb00 as ex``)."""

from __future__ import annotations

from kitlib.exercises import Incorrect, describe, exercise, expect, expect_type


def _data_context():
    import numpy as np
    from kitlib.data import GuideData
    return {"data": GuideData(*[np.zeros(shape, "float32") for n in (48, 16, 8) for shape in ((n, 784), n)])}


@exercise(
    "00.1", "Count the training images",
    answers=("n_images",),
    starter="n_images = ___   # how many training images does data.x_train hold?",
    solution="n_images = len(data.x_train)",
    hints=("`data.x_train` is a NumPy array with one row per image.",
           "`len(array)` counts the rows of an array (so does `array.shape[0]`)."),
    context=_data_context,
    varies=("nothing: the answer is one number about the notebook's own `data`; a wrong number is matched against "
            "the other sizes it could be (pixels, validation, test, training plus validation)"),
    exempt={"hardcoded": "the answer is the count of one given array: a number typed in that equals it is the right "
                         "answer, not a shortcut",
            "mutates": "the answer is a number; no object of the caller is passed to learner code",
            "graph": "a number computed in the learner's cell; nothing runs inside a tf.function"},
)
def q1(n_images, data):
    """Verifies that `n_images` is a whole number equal to the number of rows of
    `data.x_train`, naming the shape, pixel count or other split a wrong number matches."""
    x = getattr(data, "x_train", None)
    expect(hasattr(x, "shape"), f"`data` should be what `kit.mnist()` returned, but it is {describe(data)}: run the "
                                f"cells above again.")
    if isinstance(n_images, tuple):
        raise Incorrect(f"`n_images` is the whole shape {n_images}: (rows, values per row). The number of images is "
                        f"its first number.")
    expect_type(n_images, int, "n_images", "a whole number")
    count, n = int(n_images), len(x)
    if count == n:
        return f"Yes: `data.x_train` holds {n:,} images, one row of {x.shape[1]} pixel values each."
    expect(count != x.shape[1], f"{count} is the number of pixels in one image (28 × 28), the array's second "
                                f"dimension. How many rows are there?")
    sizes = {s: len(getattr(data, s)) for s in ("x_val", "x_test") if getattr(data, s, None) is not None}
    if "x_val" in sizes and count == n + sizes["x_val"]:
        raise Incorrect(f"{count:,} counts the validation images too: the notebook keeps {sizes['x_val']:,} of MNIST's "
                        f"training images apart for validation. Count `data.x_train` only.")
    for split, kind in (("x_val", "validation"), ("x_test", "test")):
        expect(count != sizes.get(split), f"{count:,} is the size of the {kind} set (`data.{split}`); count "
                                          f"`data.x_train`.")
    raise Incorrect(f"`n_images` is {count:,}; count the rows of `data.x_train`.")
