"""Reference solutions for assignment ``tensors`` (hidden: never released, never sandboxed).

Each function is self-contained given ``import numpy as np`` and ``import torch``, so the
bundled "correct" example submission is built from this very source.
"""

import numpy as np
import torch


def image_to_batch(img):
    pixels = torch.from_numpy(np.asarray(img)).to(torch.float32) / 255
    if pixels.ndim == 2:
        pixels = pixels.unsqueeze(-1)
    return pixels.permute(2, 0, 1).unsqueeze(0)


def batch_to_images(batch):
    scaled = (batch.detach().clamp(0, 1) * 255).round()
    return scaled.to(torch.uint8).permute(0, 2, 3, 1).cpu().numpy()


def conv2d_output_shape(input_shape, out_channels, kernel_size, stride=1, padding=0, dilation=1):
    def pair(value):
        return (value, value) if isinstance(value, int) else tuple(value)

    n, _, height, width = input_shape
    sizes = []
    for axis, length in enumerate((height, width)):
        k, s, p, d = (pair(v)[axis] for v in (kernel_size, stride, padding, dilation))
        sizes.append((length + 2 * p - d * (k - 1) - 1) // s + 1)
    return (int(n), int(out_channels), sizes[0], sizes[1])


def flatten_features(x):
    return x.reshape(x.shape[0], -1)


def channels_last_to_first(x):
    return x.permute(0, 3, 1, 2)
