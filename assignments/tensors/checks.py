"""Checks for assignment ``tensors`` (hidden: never released).

Public cases use the notebook's example inputs; hidden cases draw sizes and values from
the student's seed (non-square, C != H != W, batch sizes other than the examples).
Each mistake computes the answer a typical slip produces, so feedback can name it.
"""

import numpy as np
import torch

from autograder.checks.compare import EXACT, Rule
from autograder.checks.spec import Case, Mistake, QuestionCheck, Rng


def _distinct_sizes(rng: Rng, count: int, low: int = 2, high: int = 9) -> list[int]:
    sizes: list[int] = []
    while len(sizes) < count:
        size = rng.integer(low, high)
        if size not in sizes:
            sizes.append(size)
    return sizes


def _hwc(img: np.ndarray) -> torch.Tensor:
    pixels = torch.from_numpy(img)
    return pixels.unsqueeze(-1) if pixels.ndim == 2 else pixels


# q1 image_to_batch ------------------------------------------------------------------------


def _random_image(rng: Rng, channels: int | None) -> dict:
    height, width = _distinct_sizes(rng, 2, 3, 12)
    return {"img": rng.uint8_image(height, width, channels)}


q1 = QuestionCheck(
    call="image_to_batch(img)",
    cases=(
        Case("grayscale 2x3 ramp", lambda rng: {"img": np.arange(0, 256, 51, dtype=np.uint8).reshape(2, 3)}),
        Case(
            "RGB 2x2 image",
            lambda rng: {"img": np.array([[[255, 0, 0], [0, 255, 0]], [[0, 0, 255], [255, 255, 255]]], dtype=np.uint8)},
        ),
        Case("random grayscale image", lambda rng: _random_image(rng, None), hidden=True),
        Case("random RGB image", lambda rng: _random_image(rng, 3), hidden=True),
        Case("random RGB image", lambda rng: _random_image(rng, 3), hidden=True),
    ),
    mistakes=(
        Mistake(
            "you forgot to divide by 255: values must lie in [0, 1]",
            lambda img: _hwc(img).float().permute(2, 0, 1).unsqueeze(0),
        ),
        Mistake(
            "the values are float64: divide a float32 tensor (numpy's img / 255 gives float64)",
            lambda img: (_hwc(img).double() / 255).permute(2, 0, 1).unsqueeze(0),
        ),
        Mistake(
            "H and W are swapped: permute to (C, H, W), not (C, W, H)",
            lambda img: (_hwc(img).float() / 255).permute(2, 1, 0).unsqueeze(0),
        ),
        Mistake(
            "you used reshape/view instead of permute: that reinterprets memory, it does not move channels",
            lambda img: (_hwc(img).float() / 255).reshape(1, _hwc(img).shape[2], *img.shape[:2]),
        ),
        Mistake(
            "the batch dimension is missing: add it with unsqueeze(0)",
            lambda img: (_hwc(img).float() / 255).permute(2, 0, 1),
        ),
        Mistake(
            "the channels are still last: (1, H, W, C) instead of (1, C, H, W)",
            lambda img: (_hwc(img).float() / 255).unsqueeze(0),
        ),
        Mistake(
            "a grayscale image needs a channel dimension of size 1: (1, 1, H, W)",
            lambda img: (torch.from_numpy(img).float() / 255).unsqueeze(0),
        ),
    ),
)


# q2 batch_to_images -----------------------------------------------------------------------


def _random_batch(rng: Rng) -> dict:
    batch, channels = rng.integer(2, 4), rng.choice([1, 3])
    height, width = _distinct_sizes(rng, 2, 3, 9)
    return {"batch": rng.uniform(batch, channels, height, width, low=-0.5, high=1.5)}


def _as_images(values: torch.Tensor) -> np.ndarray:
    return values.to(torch.uint8).permute(0, 2, 3, 1).numpy()


q2 = QuestionCheck(
    call="batch_to_images(batch)",
    rule=Rule(rtol=0.0, atol=1.0, scale_atol=False),  # rounding may differ by one level
    cases=(
        Case("one 1x2x2 image in [0, 1]", lambda rng: {"batch": torch.tensor([[[[0.0, 0.25], [0.5, 1.0]]]])}),
        Case("values outside [0, 1]", lambda rng: {"batch": torch.tensor([[[[-0.5, 0.5, 1.5]]]])}),
        Case("random batch, any range", _random_batch, hidden=True),
        Case("random batch, any range", _random_batch, hidden=True),
    ),
    mistakes=(
        Mistake(
            "you did not clamp to [0, 1] first, so out-of-range values wrapped around in uint8",
            lambda batch: _as_images((batch * 255).round()),
        ),
        Mistake("you forgot to multiply by 255", lambda batch: _as_images(batch.clamp(0, 1).round())),
        Mistake(
            "the channels are not last: return (B, H, W, C)",
            lambda batch: (batch.clamp(0, 1) * 255).round().to(torch.uint8).numpy(),
        ),
    ),
)


# q3 conv2d_output_shape -------------------------------------------------------------------


def _conv_case(rng: Rng, pairs: bool) -> dict:
    n, c, out_channels = rng.integer(1, 5), rng.integer(1, 4), rng.integer(2, 16)
    height, width = _distinct_sizes(rng, 2, 16, 40)

    def value(low: int, high: int):
        return (rng.integer(low, high), rng.integer(low, high)) if pairs else rng.integer(low, high)

    return {
        "input_shape": (n, c, height, width),
        "out_channels": out_channels,
        "kernel_size": value(1, 5),
        "stride": value(1, 3),
        "padding": value(0, 3),
        "dilation": value(1, 3),
    }


def _shape_formula(padding_factor: int = 2, use_dilation: bool = True, use_padding: bool = True, swap: bool = False):
    def formula(input_shape, out_channels, kernel_size, stride=1, padding=0, dilation=1):
        def pair(value):
            pair = (value, value) if isinstance(value, int) else tuple(value)
            return pair[::-1] if swap else pair

        sizes = []
        for axis, length in enumerate(input_shape[2:]):
            k, s, p, d = (pair(v)[axis] for v in (kernel_size, stride, padding, dilation))
            d = d if use_dilation else 1
            p = padding_factor * p if use_padding else 0
            sizes.append((length + p - d * (k - 1) - 1) // s + 1)
        return (input_shape[0], out_channels, *sizes)

    return formula


q3 = QuestionCheck(
    call="conv2d_output_shape(input_shape, out_channels, kernel_size, stride, padding, dilation)",
    rule=EXACT,
    cases=(
        Case(
            "3x3 kernel, no padding",
            lambda rng: {
                "input_shape": (1, 3, 28, 28),
                "out_channels": 8,
                "kernel_size": 3,
                "stride": 1,
                "padding": 0,
                "dilation": 1,
            },
        ),
        Case(
            "stride 2, padding 1, dilation 2",
            lambda rng: {
                "input_shape": (4, 1, 32, 20),
                "out_channels": 6,
                "kernel_size": 3,
                "stride": 2,
                "padding": 1,
                "dilation": 2,
            },
        ),
        Case(
            "(h, w) pairs",
            lambda rng: {
                "input_shape": (2, 3, 30, 17),
                "out_channels": 5,
                "kernel_size": (3, 5),
                "stride": (2, 1),
                "padding": (1, 2),
                "dilation": (1, 2),
            },
        ),
        Case("random ints", lambda rng: _conv_case(rng, pairs=False), hidden=True),
        Case("random (h, w) pairs", lambda rng: _conv_case(rng, pairs=True), hidden=True),
        Case("random (h, w) pairs", lambda rng: _conv_case(rng, pairs=True), hidden=True),
    ),
    mistakes=(
        Mistake("dilation is ignored: the kernel spans d * (k - 1) + 1 pixels", _shape_formula(use_dilation=False)),
        Mistake("padding is ignored in your formula", _shape_formula(use_padding=False)),
        Mistake(
            "padding is added once, but it is applied on both sides (2 * padding)", _shape_formula(padding_factor=1)
        ),
        Mistake("height and width are swapped for (h, w) pairs", _shape_formula(swap=True)),
        Mistake(
            "the channel count is the input's, not out_channels",
            lambda input_shape, out_channels, **rest: (
                input_shape[0],
                input_shape[1],
                *_shape_formula()(input_shape, out_channels, **rest)[2:],
            ),
        ),
    ),
)


# q4 flatten_features ----------------------------------------------------------------------


def _random_features(rng: Rng, batch: int, transposed: bool) -> dict:
    dims = _distinct_sizes(rng, rng.integer(2, 3), 2, 6)
    order = [0, *range(1, len(dims) + 1)]
    if transposed:
        order[1], order[2] = order[2], order[1]
    return {"x": rng.normal(batch, *dims), "order": tuple(order)}


q4 = QuestionCheck(
    call="flatten_features(x.permute(order))",  # a non-identity order makes x non-contiguous
    rule=EXACT,
    cases=(
        Case("(2, 3, 4) contiguous", lambda rng: {"x": torch.arange(24.0).reshape(2, 3, 4), "order": (0, 1, 2)}),
        Case(
            "B = 1 keeps its batch dimension", lambda rng: {"x": torch.arange(6.0).reshape(1, 2, 3), "order": (0, 1, 2)}
        ),
        Case("random contiguous", lambda rng: _random_features(rng, rng.integer(2, 5), False), hidden=True),
        Case("random non-contiguous", lambda rng: _random_features(rng, rng.integer(2, 5), True), hidden=True),
        Case("random, B = 1", lambda rng: _random_features(rng, 1, True), hidden=True),
    ),
    mistakes=(
        Mistake(
            "you flattened the batch dimension too: keep dimension 0", lambda x, order: x.permute(order).reshape(-1)
        ),
        Mistake(
            "with B = 1 the batch dimension was squeezed away",
            lambda x, order: x.permute(order).squeeze(0).reshape(-1) if x.shape[0] == 1 else None,
        ),
        Mistake("only the last two dimensions were merged", lambda x, order: x.permute(order).flatten(-2)),
    ),
)


# q5 channels_last_to_first ----------------------------------------------------------------


def _random_bhwc(rng: Rng) -> dict:
    return {"x": rng.normal(*_distinct_sizes(rng, 4, 2, 7))}  # a size of 1 would make reshape correct


q5 = QuestionCheck(
    call="channels_last_to_first(x)",
    rule=EXACT,
    cases=(
        Case("(1, 2, 3, 4)", lambda rng: {"x": torch.arange(24.0).reshape(1, 2, 3, 4)}),
        Case("random (B, H, W, C)", _random_bhwc, hidden=True),
        Case("random (B, H, W, C)", _random_bhwc, hidden=True),
    ),
    mistakes=(
        Mistake(
            "you used reshape/view instead of permute: the shape is right but the values are scrambled",
            lambda x: x.reshape(x.shape[0], x.shape[3], x.shape[1], x.shape[2]),
        ),
        Mistake(
            "H and W are swapped: out[b, c, h, w] must be x[b, h, w, c] (permute(0, 3, 1, 2))",
            lambda x: x.permute(0, 3, 2, 1),
        ),
        Mistake(
            "the axes are permuted the wrong way round: permute(0, 2, 3, 1) is the inverse",
            lambda x: x.permute(0, 2, 3, 1),
        ),
    ),
)


CHECKS = {"q1": q1, "q2": q2, "q3": q3, "q4": q4, "q5": q5}
