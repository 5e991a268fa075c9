"""Correct solutions of ``tensors`` q1-q3, each student in a style of their own, and a disguised copy.

Written for these tests: four people solving the same exercise, plus ``eve``, who took
``ann``'s code and renamed, reformatted, re-commented and reordered it.
"""

ANN = {
    "image_to_batch": """
def image_to_batch(img):
    pixels = torch.from_numpy(np.asarray(img)).to(torch.float32) / 255
    if pixels.ndim == 2:
        pixels = pixels.unsqueeze(-1)
    return pixels.permute(2, 0, 1).unsqueeze(0)
""",
    "batch_to_images": """
def batch_to_images(batch):
    scaled = (batch.detach().clamp(0, 1) * 255).round()
    return scaled.to(torch.uint8).permute(0, 2, 3, 1).cpu().numpy()
""",
    "conv2d_output_shape": """
def conv2d_output_shape(input_shape, out_channels, kernel_size, stride=1, padding=0, dilation=1):
    def per_axis(value, axis):
        return value if isinstance(value, int) else value[axis]

    shape = [int(input_shape[0]), int(out_channels)]
    for axis, length in enumerate(input_shape[2:]):
        k, s = per_axis(kernel_size, axis), per_axis(stride, axis)
        p, d = per_axis(padding, axis), per_axis(dilation, axis)
        shape.append((length + 2 * p - d * (k - 1) - 1) // s + 1)
    return tuple(shape)
""",
}

BEN = {
    "image_to_batch": """
def image_to_batch(img):
    array = np.array(img, dtype=np.float32) / 255.0
    if array.ndim == 3:
        array = np.transpose(array, (2, 0, 1))
    else:
        array = array[None, :, :]
    return torch.tensor(array)[None]
""",
    "batch_to_images": """
def batch_to_images(batch):
    images = []
    for image in batch:
        pixels = torch.round(torch.clamp(image.detach(), 0.0, 1.0) * 255)
        images.append(pixels.byte().movedim(0, -1).cpu().numpy())
    return np.stack(images)
""",
    "conv2d_output_shape": """
def conv2d_output_shape(input_shape, out_channels, kernel_size, stride=1, padding=0, dilation=1):
    as_pair = lambda v: tuple(v) if isinstance(v, (tuple, list)) else (v, v)
    kh, kw = as_pair(kernel_size)
    sh, sw = as_pair(stride)
    ph, pw = as_pair(padding)
    dh, dw = as_pair(dilation)
    h = (input_shape[2] + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    w = (input_shape[3] + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    return (input_shape[0], out_channels, h, w)
""",
}

CAT = {
    "image_to_batch": """
def image_to_batch(img):
    t = torch.as_tensor(img).float().div(255)
    t = t if t.dim() == 3 else t.unsqueeze(2)
    return t.permute(2, 0, 1).unsqueeze(0).contiguous()
""",
    "batch_to_images": """
def batch_to_images(batch):
    out = batch.detach().cpu().clamp(min=0, max=1).mul(255).round().to(dtype=torch.uint8)
    return out.permute(0, 2, 3, 1).numpy()
""",
    "conv2d_output_shape": """
def conv2d_output_shape(input_shape, out_channels, kernel_size, stride=1, padding=0, dilation=1):
    import math

    result = [input_shape[0], out_channels]
    for i, size in enumerate(input_shape[2:]):
        pick = lambda v: v[i] if isinstance(v, (tuple, list)) else v
        effective = pick(dilation) * (pick(kernel_size) - 1) + 1
        result.append(math.floor((size + 2 * pick(padding) - effective) / pick(stride)) + 1)
    return tuple(result)
""",
}

DAN = {
    "image_to_batch": """
def image_to_batch(img):
    img = np.asarray(img)
    channels = 1 if img.ndim == 2 else img.shape[2]
    grid = torch.from_numpy(img.reshape(img.shape[0], img.shape[1], channels).copy())
    return (grid.to(torch.float32) / 255).permute(2, 0, 1)[None, ...]
""",
    "batch_to_images": """
def batch_to_images(batch):
    b = batch.detach().to("cpu")
    b = torch.where(b < 0, torch.zeros_like(b), b)
    b = torch.where(b > 1, torch.ones_like(b), b)
    return torch.round(b * 255).to(torch.uint8).numpy().transpose(0, 2, 3, 1)
""",
    "conv2d_output_shape": """
def conv2d_output_shape(input_shape, out_channels, kernel_size, stride=1, padding=0, dilation=1):
    def expand(x):
        if isinstance(x, int):
            return [x, x]
        return list(x)

    params = [expand(p) for p in (kernel_size, stride, padding, dilation)]
    dims = []
    for axis in range(2):
        kernel, step, pad, dil = (p[axis] for p in params)
        dims.append(1 + (input_shape[2 + axis] + 2 * pad - dil * (kernel - 1) - 1) // step)
    return (input_shape[0], out_channels, *dims)
""",
}

# ann's code, disguised: names, spacing and comments changed, two independent statements swapped.
EVE = {
    "image_to_batch": """
def image_to_batch(picture):
    # to floats in [0, 1]
    data = torch.from_numpy(np.asarray(picture)).to(torch.float32)/255
    if data.ndim==2:
        data = data.unsqueeze(-1)   # a channel axis for grey images
    return data.permute(2,0,1).unsqueeze(0)
""",
    "batch_to_images": """
def batch_to_images(images_batch):
    values = (images_batch.detach().clamp(0,1)*255).round()
    return values.to(torch.uint8).permute(0,2,3,1).cpu().numpy()
""",
    "conv2d_output_shape": """
def conv2d_output_shape(shape_in, out_channels, kernel_size, stride=1, padding=0, dilation=1):
    def along(v, i):
        return v if isinstance(v, int) else v[i]
    dims = [int(shape_in[0]), int(out_channels)]
    for i, size in enumerate(shape_in[2:]):
        pp, dd = along(padding, i), along(dilation, i)   # padding and dilation first
        kk, ss = along(kernel_size, i), along(stride, i)
        dims.append((size + 2*pp - dd*(kk - 1) - 1)//ss + 1)
    return tuple(dims)
""",
}
