"""Convolutional networks, from LeNet to U-Net, with their blocks as classes (as torchvision keeps them).

* a small LeNet-style classifier (:func:`small_cnn`) and LeNet-5 for 28 x 28 digits;
* AlexNet, VGG-16 and ResNet-18 at their ImageNet sizes (3 x 224 x 224), and a small ResNet for
  28 x 28 images;
* the blocks :class:`Inception`, :class:`BasicBlock` (residual), :class:`GlobalAvgPool2d`,
  :class:`DoubleConv` and :class:`UNet`.

Written once for both engines: ``dlcourse.models`` builds them from ``dlcourse.nn`` and
``dlcourse.torch.models`` from ``torch.nn`` (same layers, same parameter names, so state dicts move
between the two; see :mod:`dlcourse.models`).
"""

from __future__ import annotations

from .. import cat, nn

__all__ = ["BasicBlock", "DoubleConv", "GlobalAvgPool2d", "Inception", "UNet", "alexnet", "inception_module",
           "lenet5", "resnet18", "small_cnn", "small_resnet", "unet", "vgg16"]


# --- blocks ---------------------------------------------------------------------------------------
class Inception(nn.Module):
    """Four branches side by side, concatenated along the channels: 1 x 1; 1 x 1 then 3 x 3;
    1 x 1 then 5 x 5; 3 x 3 max-pooling then 1 x 1. The 1 x 1 convolutions shrink the channels
    before the expensive kernels.

    Args: the output channels of each convolution (torchvision's names): ``ch1x1``; ``ch3x3_reduce``
        then ``ch3x3``; ``ch5x5_reduce`` then ``ch5x5``; ``pool_proj``. The block outputs
        ch1x1 + ch3x3 + ch5x5 + pool_proj channels at the input's resolution.
    """

    def __init__(self, in_channels, ch1x1, ch3x3_reduce, ch3x3, ch5x5_reduce, ch5x5, pool_proj):
        super().__init__()
        self.branch1 = nn.Sequential(nn.Conv2d(in_channels, ch1x1, 1), nn.ReLU())
        self.branch2 = nn.Sequential(nn.Conv2d(in_channels, ch3x3_reduce, 1), nn.ReLU(),
                                     nn.Conv2d(ch3x3_reduce, ch3x3, 3, padding=1), nn.ReLU())
        self.branch3 = nn.Sequential(nn.Conv2d(in_channels, ch5x5_reduce, 1), nn.ReLU(),
                                     nn.Conv2d(ch5x5_reduce, ch5x5, 5, padding=2), nn.ReLU())
        self.branch4 = nn.Sequential(nn.MaxPool2d(3, 1, padding=1), nn.Conv2d(in_channels, pool_proj, 1), nn.ReLU())

    def forward(self, x):
        """The four branches' outputs concatenated along the channels."""
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
        """relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))."""
        out = self.bn1(self.conv1(x)).relu()
        return (self.bn2(self.conv2(out)) + self.shortcut(x)).relu()


class GlobalAvgPool2d(nn.Module):
    """(N, C, H, W) -> (N, C): the mean of each channel over the image."""

    def forward(self, x):
        """The mean over dimensions 2 and 3."""
        return x.mean((2, 3))


class DoubleConv(nn.Sequential):
    """U-Net's two unpadded 3 x 3 convolutions with ReLU."""

    def __init__(self, in_channels, out_channels):
        super().__init__(nn.Conv2d(in_channels, out_channels, 3), nn.ReLU(),
                         nn.Conv2d(out_channels, out_channels, 3), nn.ReLU())


class UNet(nn.Module):
    """U-Net (2015): a contracting path (double convolution, 2 x 2 max-pooling) and an expanding
    path (2 x 2 transposed convolution, concatenation with the cropped feature map of the same
    level, double convolution), then a 1 x 1 convolution to the classes of each pixel.

    Args:
        widths: the channels of each level, top to bottom; each level halves the resolution.
    """

    def __init__(self, in_channels=1, num_classes=2, widths=(64, 128, 256, 512, 1024)):
        super().__init__()
        self.down = nn.ModuleList([DoubleConv(c_in, c_out) for c_in, c_out in zip((in_channels,) + widths, widths)])
        self.pool = nn.MaxPool2d(2)
        self.up = nn.ModuleList([nn.ConvTranspose2d(c, c // 2, 2, stride=2) for c in widths[:0:-1]])
        self.up_conv = nn.ModuleList([DoubleConv(c, c // 2) for c in widths[:0:-1]])
        self.head = nn.Conv2d(widths[0], num_classes, 1)

    def forward(self, x):
        """Per-pixel class logits (N, num_classes, OH, OW); unpadded convolutions make OH, OW smaller than H, W."""
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


# --- architectures ---------------------------------------------------------------------------------
def small_cnn(in_channels: int = 1, num_classes: int = 10, width: int = 8, image_size: int = 28) -> nn.Sequential:
    """A LeNet-style network: two (conv 3x3, ReLU, max-pool 2) blocks, then a linear classifier."""
    side = image_size // 4
    return nn.Sequential(
        nn.Conv2d(in_channels, width, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(width, 2 * width, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(2 * width * side * side, num_classes))


def lenet5(num_classes: int = 10) -> nn.Sequential:
    """LeNet-5 for 28 x 28 digits (padding 2 stands in for the original's 32 x 32 input): two 5 x 5
    convolutions with tanh and 2 x 2 average pooling, then fully connected layers 120-84-classes."""
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.Tanh(), nn.AvgPool2d(2),
        nn.Conv2d(6, 16, 5), nn.Tanh(), nn.AvgPool2d(2),
        nn.Flatten(), nn.Linear(16 * 5 * 5, 120), nn.Tanh(), nn.Linear(120, 84), nn.Tanh(), nn.Linear(84, num_classes))


def alexnet(num_classes: int = 1000) -> nn.Sequential:
    """AlexNet (2012) in its one-GPU form (the paper split some layers over two GPUs): five
    convolutions with ReLU and overlapping 3 x 3 max-pooling, then three fully connected layers
    with dropout. Input 3 x 224 x 224."""
    return nn.Sequential(
        nn.Conv2d(3, 64, 11, stride=4, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Conv2d(64, 192, 5, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Conv2d(192, 384, 3, padding=1), nn.ReLU(),
        nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(),
        nn.Conv2d(256, 256, 3, padding=1), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Flatten(), nn.Dropout(0.5), nn.Linear(256 * 6 * 6, 4096), nn.ReLU(),
        nn.Dropout(0.5), nn.Linear(4096, 4096), nn.ReLU(), nn.Linear(4096, num_classes))


def vgg16(num_classes: int = 1000) -> nn.Sequential:
    """VGG-16 (2015): thirteen 3 x 3 convolutions (padding 1) in five blocks, each ending in 2 x 2
    max-pooling, then three fully connected layers. Input 3 x 224 x 224."""
    layers, channels = [], 3
    for width, repeats in [(64, 2), (128, 2), (256, 3), (512, 3), (512, 3)]:
        for _ in range(repeats):
            layers += [nn.Conv2d(channels, width, 3, padding=1), nn.ReLU()]
            channels = width
        layers.append(nn.MaxPool2d(2))
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(512 * 7 * 7, 4096), nn.ReLU(), nn.Dropout(0.5),
                         nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(0.5), nn.Linear(4096, num_classes))


def inception_module(in_channels=192, ch1x1=64, ch3x3_reduce=96, ch3x3=128, ch5x5_reduce=16, ch5x5=32,
                     pool_proj=32) -> Inception:
    """One Inception module; the defaults are GoogLeNet's first one ("3a": 192 -> 256 channels at 28 x 28)."""
    return Inception(in_channels, ch1x1, ch3x3_reduce, ch3x3, ch5x5_reduce, ch5x5, pool_proj)


def resnet18(num_classes: int = 1000) -> nn.Sequential:
    """ResNet-18 (2016): a 7 x 7 stride-2 stem and max-pooling, four stages of two residual blocks
    (64, 128, 256, 512 channels; each later stage starts with a stride-2 block), global average
    pooling and one linear layer. Input 3 x 224 x 224."""
    layers = [nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
              nn.MaxPool2d(3, 2, padding=1)]
    channels = 64
    for width, stride in [(64, 1), (128, 2), (256, 2), (512, 2)]:
        layers += [BasicBlock(channels, width, stride), BasicBlock(width, width)]
        channels = width
    return nn.Sequential(*layers, GlobalAvgPool2d(), nn.Linear(512, num_classes))


def small_resnet(in_channels: int = 1, num_classes: int = 10, width: int = 16) -> nn.Sequential:
    """A ResNet for 28 x 28 images: a 3 x 3 stem, three residual blocks (width, 2 width, 4 width
    channels; the last two halve the resolution), global average pooling and a linear classifier."""
    return nn.Sequential(
        nn.Conv2d(in_channels, width, 3, padding=1, bias=False), nn.BatchNorm2d(width), nn.ReLU(),
        BasicBlock(width, width), BasicBlock(width, 2 * width, 2),
        BasicBlock(2 * width, 4 * width, 2), GlobalAvgPool2d(), nn.Linear(4 * width, num_classes))


def unet(in_channels: int = 1, num_classes: int = 2, widths=(64, 128, 256, 512, 1024)) -> UNet:
    """U-Net with unpadded convolutions, as in the paper (a 572 x 572 input gives a 388 x 388 map)."""
    return UNet(in_channels, num_classes, tuple(widths))
