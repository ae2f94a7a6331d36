"""The course's models, where torchvision keeps its models: one module per family.

* :mod:`~dlcourse.models.mlp`: :func:`mlp`;
* :mod:`~dlcourse.models.cnn`: :func:`small_cnn`, LeNet-5, AlexNet, VGG-16, ResNet-18 and a small
  ResNet, U-Net, and their blocks (:class:`Inception`, :class:`BasicBlock`, :class:`UNet`, ...);
* :mod:`~dlcourse.models.char_lm`: the character-level LSTM language model and sampling;
* :mod:`~dlcourse.models.decomposition`: principal component analysis (NumPy);
* :mod:`~dlcourse.models.vae`: the variational autoencoder (:class:`VAE`);
* :mod:`~dlcourse.models.dcgan`: the small DCGAN for MNIST (:class:`DCGANGenerator`,
  :class:`DCGANDiscriminator`, :func:`dcgan`).

**One definition, two engines.** The model files import their layers with ``from .. import nn``
(and ``cat``, ``tensor``, ``no_grad``). Loaded as ``dlcourse.models`` those are dlcourse's; loaded as
``dlcourse.torch.models`` (the same files, a second time) they are torch's. So
``dlcourse.models.resnet18()`` is the NumPy engine's network and ``dlcourse.torch.models.resnet18()``
the same network in PyTorch, with the same parameter names: a state dict moves between them.
"""

from .char_lm import CharLSTM, detach_state, generate, sample_next
from .cnn import (
    BasicBlock, DoubleConv, GlobalAvgPool2d, Inception, UNet, alexnet, inception_module, lenet5, resnet18, small_cnn,
    small_resnet, unet, vgg16,
)
from .mlp import mlp
from .decomposition import PCA, pca
from .dcgan import DCGANDiscriminator, DCGANGenerator, dcgan
from .vae import VAE

__all__ = [
    "PCA", "VAE", "BasicBlock", "CharLSTM", "DCGANDiscriminator", "DCGANGenerator", "DoubleConv", "GlobalAvgPool2d",
    "Inception", "UNet", "alexnet", "dcgan", "detach_state", "generate", "inception_module", "lenet5", "mlp", "pca",
    "resnet18", "sample_next", "small_cnn", "small_resnet", "unet", "vgg16",
]
