"""Neural-network layers, losses, initialisation and the functional API (``torch.nn``'s names).

Where things live, as in ``torch.nn``: layers in :mod:`~dlcourse.nn.layers` (linear, activations,
dropout, convolution, pooling, upsampling, embedding), :mod:`~dlcourse.nn.normalization`,
:mod:`~dlcourse.nn.recurrent`, :mod:`~dlcourse.nn.attention`, :mod:`~dlcourse.nn.transformer` and
:mod:`~dlcourse.nn.graph_conv`; losses in :mod:`~dlcourse.nn.loss`; stateless forms in
:mod:`~dlcourse.nn.functional`; :mod:`~dlcourse.nn.init` and :mod:`~dlcourse.nn.utils`.
"""

from . import functional, init, utils
from .attention import MultiheadAttention
from .graph_conv import GCNConv, SparseGCNConv, normalized_adjacency, propagate, sparse_normalized_adjacency
from .layers import (
    ELU, GELU, AdaptiveAvgPool2d, AvgPool2d, Conv1d, Conv2d, ConvTranspose2d, Dropout, Embedding, Flatten, Identity,
    LeakyReLU, Linear, LogSoftmax, MaxPool2d, Maxout, PReLU, ReLU, Sigmoid, Softmax, Softplus, Tanh, Upsample,
)
from .loss import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, GaussianNLLLoss, L1Loss, MSELoss, NLLLoss
from .module import Module, ModuleDict, ModuleList, Parameter, ParameterDict, ParameterList, Sequential
from .normalization import BatchNorm1d, BatchNorm2d, LayerNorm
from .recurrent import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell
from .transformer import TransformerEncoder, TransformerEncoderLayer

__all__ = [
    "AdaptiveAvgPool2d", "AvgPool2d", "BCELoss", "BCEWithLogitsLoss", "BatchNorm1d", "BatchNorm2d", "Conv1d",
    "Conv2d", "ConvTranspose2d", "CrossEntropyLoss", "Dropout", "ELU", "Embedding", "Flatten", "GCNConv", "GELU",
    "GRU", "GRUCell", "GaussianNLLLoss", "Identity", "L1Loss", "LSTM", "LSTMCell", "LayerNorm", "LeakyReLU",
    "Linear", "LogSoftmax", "MSELoss", "MaxPool2d", "Maxout", "Module", "ModuleDict", "ModuleList",
    "MultiheadAttention", "NLLLoss", "PReLU", "Parameter", "ParameterDict", "ParameterList", "RNN", "RNNCell",
    "ReLU", "Sequential", "Sigmoid", "Softmax", "Softplus", "SparseGCNConv", "Tanh", "TransformerEncoder",
    "TransformerEncoderLayer", "Upsample", "functional", "init", "normalized_adjacency", "propagate",
    "sparse_normalized_adjacency", "utils",
]
