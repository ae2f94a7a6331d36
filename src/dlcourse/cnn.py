"""Convolutional networks: size arithmetic, upsampling by hand, saliency, and the classic architectures.

Chapter 8 builds these pieces in its lessons and then uses them from here:

* :func:`conv_output_size` and :func:`receptive_field`: the arithmetic of a stack of convolutions
  and poolings; :func:`measured_receptive_field` checks it by backpropagating a one-hot gradient;
* :func:`bed_of_nails`, :func:`max_pool2d_with_indices` and :func:`max_unpool2d`: the upsampling
  layers the package has no layer for (NumPy, with PyTorch's index convention);
* :func:`occlusion_saliency`: how much a class score drops when a patch of the image is hidden;
* :func:`count_parameters` and :func:`layer_shapes`: a model's size, layer by layer;
* builders of LeNet-5, AlexNet, VGG-16, an Inception module, ResNet-18 (and a small ResNet for
  28 x 28 images) and U-Net that take the library (``dlcourse`` or ``torch``) as their first
  argument, so that one definition gives both engines the same layers under the same names.
"""

from __future__ import annotations

import numpy as np

__all__ = ["alexnet", "bed_of_nails", "conv_output_size", "count_parameters", "inception_module", "layer_shapes",
           "lenet5", "max_pool2d_with_indices", "max_unpool2d", "measured_receptive_field", "occlusion_saliency",
           "receptive_field", "resnet18", "small_resnet", "unet", "vgg16"]


# ----------------------------------------------------------------------------------------------
# Arithmetic
# ----------------------------------------------------------------------------------------------

def conv_output_size(size: int, kernel_size: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    """Output length of a convolution or pooling along one axis.

    ``floor((size + 2 padding - dilation (kernel_size - 1) - 1) / stride) + 1``: the padded input
    has ``size + 2 padding`` positions, a dilated kernel spans ``dilation (kernel_size - 1) + 1`` of
    them, and the kernel moves ``stride`` positions at a time.
    """
    span = dilation * (kernel_size - 1) + 1
    if size + 2 * padding < span:
        raise ValueError(f"a kernel spanning {span} positions does not fit an input of {size} padded by {padding}")
    return (size + 2 * padding - span) // stride + 1


def receptive_field(layers) -> list[tuple[int, int]]:
    """Receptive field size and jump after each layer of a stack.

    Args:
        layers: one ``(kernel_size, stride)`` or ``(kernel_size, stride, dilation)`` per layer.
    Returns:
        a list of ``(size, jump)``: ``size`` input pixels (along one axis) influence one output
        pixel of that layer, and ``jump`` input pixels separate neighbouring output pixels.
        With ``r_0 = j_0 = 1``: ``r_l = r_{l-1} + dilation (kernel_size - 1) j_{l-1}``, ``j_l = j_{l-1} stride``.
    """
    size, jump, out = 1, 1, []
    for layer in layers:
        kernel_size, stride, dilation = (tuple(layer) + (1,))[:3]
        size += dilation * (kernel_size - 1) * jump
        jump *= stride
        out.append((size, jump))
    return out


def measured_receptive_field(model, input_shape) -> tuple[int, int]:
    """Height and width of the input region that the centre output pixel of ``model`` depends on.

    Backpropagates a one-hot gradient (1 at the centre pixel of the first output channel) through a
    ``dlcourse`` model and measures the bounding box of the non-zero input gradient. Use a model
    without ReLUs or max-pooling (or with positive weights): those can zero a gradient that a pixel
    of the receptive field would otherwise receive.
    """
    import dlcourse
    x = dlcourse.tensor(np.zeros(input_shape, dtype=np.float32), requires_grad=True)
    out = model(x)
    one_hot = np.zeros(out.shape, dtype=np.float32)
    one_hot[0, 0, out.shape[2] // 2, out.shape[3] // 2] = 1.0
    (out * dlcourse.tensor(one_hot)).sum().backward()
    gradient = np.asarray(getattr(x.grad, "data", x.grad))
    rows, columns = np.nonzero(np.abs(gradient[0]).sum(axis=0))
    return int(rows.max() - rows.min() + 1), int(columns.max() - columns.min() + 1)


# ----------------------------------------------------------------------------------------------
# Upsampling the package has no layer for
# ----------------------------------------------------------------------------------------------

def bed_of_nails(x, scale: int = 2) -> np.ndarray:
    """Upsample (N, C, H, W) by ``scale``: each value at the top-left of its scale x scale cell, zeros elsewhere."""
    x = np.asarray(x)
    n, c, h, w = x.shape
    out = np.zeros((n, c, h * scale, w * scale), dtype=x.dtype)
    out[:, :, ::scale, ::scale] = x
    return out


def max_pool2d_with_indices(x, kernel_size: int, stride: int | None = None):
    """Max-pooling of (N, C, H, W) without padding, and where each maximum came from.

    Returns ``(values, indices)`` with indices into the flattened H x W plane of each channel, as
    ``torch.nn.functional.max_pool2d(..., return_indices=True)`` gives them (ties: the first
    maximum in row-major order).
    """
    x = np.asarray(x)
    stride = stride or kernel_size
    n, c, h, w = x.shape
    oh, ow = conv_output_size(h, kernel_size, stride), conv_output_size(w, kernel_size, stride)
    values = np.empty((n, c, oh, ow), dtype=x.dtype)
    indices = np.empty((n, c, oh, ow), dtype=np.int64)
    for i in range(oh):
        for j in range(ow):
            window = x[:, :, i * stride: i * stride + kernel_size, j * stride: j * stride + kernel_size]
            flat = window.reshape(n, c, -1)
            best = flat.argmax(axis=2)
            values[:, :, i, j] = np.take_along_axis(flat, best[..., None], axis=2)[..., 0]
            rows, columns = i * stride + best // kernel_size, j * stride + best % kernel_size
            indices[:, :, i, j] = rows * w + columns
    return values, indices


def max_unpool2d(values, indices, output_size) -> np.ndarray:
    """Put each pooled value back where its maximum was (``indices`` from :func:`max_pool2d_with_indices`),
    zeros elsewhere, in an (N, C, *output_size) array: the upsampling of SegNet."""
    values, indices = np.asarray(values), np.asarray(indices)
    n, c = values.shape[:2]
    h, w = output_size
    out = np.zeros((n, c, h * w), dtype=values.dtype)
    np.put_along_axis(out, indices.reshape(n, c, -1), values.reshape(n, c, -1), axis=2)
    return out.reshape(n, c, h, w)


# ----------------------------------------------------------------------------------------------
# Saliency
# ----------------------------------------------------------------------------------------------

def occlusion_saliency(score, image, target: int, patch_size: int, stride: int, fill: float = 0.0,
                       batch_size: int = 64) -> np.ndarray:
    """Drop of a class score when a square patch of the image is hidden, for every patch position.

    Args:
        score: function mapping a batch (N, C, H, W) to scores (N, classes) as a NumPy array.
        image: one image (C, H, W).
        target: the class whose score is watched.
        patch_size, stride: the patch's side and the step between patch positions.
        fill: the value written into the hidden patch.
        batch_size: how many occluded copies are scored at once.
    Returns:
        an array (OH, OW) with OH = floor((H - patch_size) / stride) + 1 (likewise OW): entry (i, j) is
        ``score(image)[target] - score(occluded)[target]`` for the patch whose top-left corner is
        (i stride, j stride). Large values mark regions the decision depends on.
    """
    image = np.asarray(image)
    _, h, w = image.shape
    oh, ow = conv_output_size(h, patch_size, stride), conv_output_size(w, patch_size, stride)
    base = float(np.asarray(score(image[None]))[0, target])
    corners = [(i * stride, j * stride) for i in range(oh) for j in range(ow)]
    drops = []
    for first in range(0, len(corners), batch_size):
        batch = np.repeat(image[None], len(corners[first:first + batch_size]), axis=0)
        for k, (top, left) in enumerate(corners[first:first + batch_size]):
            batch[k, :, top:top + patch_size, left:left + patch_size] = fill
        drops.append(base - np.asarray(score(batch))[:, target])
    return np.concatenate(drops).reshape(oh, ow)


# ----------------------------------------------------------------------------------------------
# Sizes of a model
# ----------------------------------------------------------------------------------------------

def count_parameters(model) -> int:
    """Number of trainable numbers in a ``dlcourse`` or ``torch`` model."""
    return int(sum(np.prod(p.shape) for p in model.parameters()))


def layer_shapes(model, x) -> list[tuple[str, str, tuple, int]]:
    """Run ``x`` through the top-level children of a sequential ``model`` (dlcourse or torch).

    Returns one ``(name, layer type, output shape, parameters)`` per child: the table that
    architecture diagrams show.
    """
    rows = []
    for name, child in model.named_children():
        x = child(x)
        rows.append((name, type(child).__name__, tuple(x.shape), count_parameters(child)))
    return rows


# ----------------------------------------------------------------------------------------------
# Architectures, one definition for both engines
# ----------------------------------------------------------------------------------------------

def lenet5(library, num_classes: int = 10):
    """LeNet-5 for 28 x 28 digits (padding 2 stands in for the original's 32 x 32 input): two 5 x 5
    convolutions with tanh and 2 x 2 average pooling, then fully connected layers 120-84-classes."""
    nn = library.nn
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.Tanh(), nn.AvgPool2d(2),
        nn.Conv2d(6, 16, 5), nn.Tanh(), nn.AvgPool2d(2),
        nn.Flatten(), nn.Linear(16 * 5 * 5, 120), nn.Tanh(), nn.Linear(120, 84), nn.Tanh(), nn.Linear(84, num_classes))


def alexnet(library, num_classes: int = 1000):
    """AlexNet (2012) in its one-GPU form (the paper split some layers over two GPUs): five
    convolutions with ReLU and overlapping 3 x 3 max-pooling, then three fully connected layers
    with dropout. Input 3 x 224 x 224."""
    nn = library.nn
    return nn.Sequential(
        nn.Conv2d(3, 64, 11, stride=4, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Conv2d(64, 192, 5, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Conv2d(192, 384, 3, padding=1), nn.ReLU(),
        nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(),
        nn.Conv2d(256, 256, 3, padding=1), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Flatten(), nn.Dropout(0.5), nn.Linear(256 * 6 * 6, 4096), nn.ReLU(),
        nn.Dropout(0.5), nn.Linear(4096, 4096), nn.ReLU(), nn.Linear(4096, num_classes))


def vgg16(library, num_classes: int = 1000):
    """VGG-16 (2015): thirteen 3 x 3 convolutions (padding 1) in five blocks, each ending in 2 x 2
    max-pooling, then three fully connected layers. Input 3 x 224 x 224."""
    nn = library.nn
    layers, channels = [], 3
    for width, repeats in [(64, 2), (128, 2), (256, 3), (512, 3), (512, 3)]:
        for _ in range(repeats):
            layers += [nn.Conv2d(channels, width, 3, padding=1), nn.ReLU()]
            channels = width
        layers.append(nn.MaxPool2d(2))
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(512 * 7 * 7, 4096), nn.ReLU(), nn.Dropout(0.5),
                         nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(0.5), nn.Linear(4096, num_classes))


_CLASSES: dict = {}


def _classes(library):
    """The block classes (Inception, residual, U-Net) subclassing ``library.nn.Module``, made once per library."""
    if id(library) in _CLASSES:
        return _CLASSES[id(library)]
    nn, cat = library.nn, library.cat

    class Inception(nn.Module):
        """Four branches side by side, concatenated along the channels: 1 x 1; 1 x 1 then 3 x 3;
        1 x 1 then 5 x 5; 3 x 3 max-pooling then 1 x 1. The 1 x 1 convolutions shrink the channels
        before the expensive kernels."""

        def __init__(self, in_channels, ch1x1, ch3x3_reduce, ch3x3, ch5x5_reduce, ch5x5, pool_proj):
            super().__init__()
            self.branch1 = nn.Sequential(nn.Conv2d(in_channels, ch1x1, 1), nn.ReLU())
            self.branch2 = nn.Sequential(nn.Conv2d(in_channels, ch3x3_reduce, 1), nn.ReLU(),
                                         nn.Conv2d(ch3x3_reduce, ch3x3, 3, padding=1), nn.ReLU())
            self.branch3 = nn.Sequential(nn.Conv2d(in_channels, ch5x5_reduce, 1), nn.ReLU(),
                                         nn.Conv2d(ch5x5_reduce, ch5x5, 5, padding=2), nn.ReLU())
            self.branch4 = nn.Sequential(nn.MaxPool2d(3, 1, padding=1), nn.Conv2d(in_channels, pool_proj, 1), nn.ReLU())

        def forward(self, x):
            return cat([self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)], 1)

    class BasicBlock(nn.Module):
        """Two 3 x 3 convolutions with batch norm, added to the input (the shortcut): relu(F(x) + x).
        Where the block halves the resolution or changes the channels, the shortcut is a strided
        1 x 1 convolution."""

        def __init__(self, in_channels, out_channels, stride=1):
            super().__init__()
            self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(out_channels)
            self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False)
            self.bn2 = nn.BatchNorm2d(out_channels)
            if stride != 1 or in_channels != out_channels:
                self.shortcut = nn.Sequential(nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False),
                                              nn.BatchNorm2d(out_channels))
            else:
                self.shortcut = nn.Identity()

        def forward(self, x):
            out = self.bn1(self.conv1(x)).relu()
            return (self.bn2(self.conv2(out)) + self.shortcut(x)).relu()

    class GlobalAvgPool2d(nn.Module):
        """(N, C, H, W) -> (N, C): the mean of each channel over the image."""

        def forward(self, x):
            return x.mean((2, 3))

    class DoubleConv(nn.Sequential):
        """U-Net's two unpadded 3 x 3 convolutions with ReLU."""

        def __init__(self, in_channels, out_channels):
            super().__init__(nn.Conv2d(in_channels, out_channels, 3), nn.ReLU(),
                             nn.Conv2d(out_channels, out_channels, 3), nn.ReLU())

    class UNet(nn.Module):
        """U-Net (2015): a contracting path (double convolution, 2 x 2 max-pooling) and an expanding
        path (2 x 2 transposed convolution, concatenation with the cropped feature map of the same
        level, double convolution), then a 1 x 1 convolution to the classes of each pixel."""

        def __init__(self, in_channels=1, num_classes=2, widths=(64, 128, 256, 512, 1024)):
            super().__init__()
            self.down = nn.ModuleList([DoubleConv(c_in, c_out) for c_in, c_out in zip((in_channels,) + widths, widths)])
            self.pool = nn.MaxPool2d(2)
            self.up = nn.ModuleList([nn.ConvTranspose2d(c, c // 2, 2, stride=2) for c in widths[:0:-1]])
            self.up_conv = nn.ModuleList([DoubleConv(c, c // 2) for c in widths[:0:-1]])
            self.head = nn.Conv2d(widths[0], num_classes, 1)

        def forward(self, x):
            skips = []
            for i, block in enumerate(self.down):
                x = block(x)
                if i < len(self.down) - 1:
                    skips.append(x)
                    x = self.pool(x)
            for up, block, skip in zip(self.up, self.up_conv, reversed(skips)):
                x = up(x)
                top, left = (skip.shape[2] - x.shape[2]) // 2, (skip.shape[3] - x.shape[3]) // 2
                x = block(cat([skip[:, :, top:top + x.shape[2], left:left + x.shape[3]], x], 1))
            return self.head(x)

    _CLASSES[id(library)] = dict(Inception=Inception, BasicBlock=BasicBlock, GlobalAvgPool2d=GlobalAvgPool2d, UNet=UNet)
    return _CLASSES[id(library)]


def inception_module(library, in_channels=192, ch1x1=64, ch3x3_reduce=96, ch3x3=128, ch5x5_reduce=16, ch5x5=32,
                     pool_proj=32):
    """One Inception module; the defaults are GoogLeNet's first one ("3a": 192 -> 256 channels at 28 x 28)."""
    return _classes(library)["Inception"](in_channels, ch1x1, ch3x3_reduce, ch3x3, ch5x5_reduce, ch5x5, pool_proj)


def resnet18(library, num_classes: int = 1000):
    """ResNet-18 (2016): a 7 x 7 stride-2 stem and max-pooling, four stages of two residual blocks
    (64, 128, 256, 512 channels; each later stage starts with a stride-2 block), global average
    pooling and one linear layer. Input 3 x 224 x 224."""
    nn, blocks = library.nn, _classes(library)
    layers = [nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
              nn.MaxPool2d(3, 2, padding=1)]
    channels = 64
    for width, stride in [(64, 1), (128, 2), (256, 2), (512, 2)]:
        layers += [blocks["BasicBlock"](channels, width, stride), blocks["BasicBlock"](width, width)]
        channels = width
    return nn.Sequential(*layers, blocks["GlobalAvgPool2d"](), nn.Linear(512, num_classes))


def small_resnet(library, in_channels: int = 1, num_classes: int = 10, width: int = 16):
    """A ResNet for 28 x 28 images: a 3 x 3 stem, three residual blocks (width, 2 width, 4 width
    channels; the last two halve the resolution), global average pooling and a linear classifier."""
    nn, blocks = library.nn, _classes(library)
    return nn.Sequential(
        nn.Conv2d(in_channels, width, 3, padding=1, bias=False), nn.BatchNorm2d(width), nn.ReLU(),
        blocks["BasicBlock"](width, width), blocks["BasicBlock"](width, 2 * width, 2),
        blocks["BasicBlock"](2 * width, 4 * width, 2), blocks["GlobalAvgPool2d"](), nn.Linear(4 * width, num_classes))


def unet(library, in_channels: int = 1, num_classes: int = 2, widths=(64, 128, 256, 512, 1024)):
    """U-Net with unpadded convolutions, as in the paper (a 572 x 572 input gives a 388 x 388 map)."""
    return _classes(library)["UNet"](in_channels, num_classes, tuple(widths))
