"""Neural-network layers, losses, initialisation and the functional API (``torch.nn``'s names)."""

from . import functional, init, utils
from .attention import MultiheadAttention
from .graph_conv import GCNConv, normalized_adjacency
from .layers import (
    ELU, AvgPool2d, BatchNorm1d, BatchNorm2d, Conv2d, ConvTranspose2d, Dropout, Embedding, Flatten,
    Identity, LeakyReLU, Linear, LogSoftmax, MaxPool2d, Maxout, PReLU, ReLU, Sigmoid, Softmax,
    Softplus, Tanh, Upsample,
)
from .loss import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, GaussianNLLLoss, L1Loss, MSELoss, NLLLoss
from .module import Module, ModuleList, Parameter, Sequential
from .recurrent import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell
from .transformer import LayerNorm, TransformerEncoderLayer

__all__ = [
    "AvgPool2d", "BCELoss", "BCEWithLogitsLoss", "BatchNorm1d", "BatchNorm2d", "Conv2d",
    "ConvTranspose2d", "CrossEntropyLoss", "Dropout", "ELU", "Embedding", "Flatten", "GCNConv", "GRU",
    "GRUCell", "GaussianNLLLoss", "Identity", "L1Loss", "LSTM", "LSTMCell", "LayerNorm", "LeakyReLU", "Linear",
    "LogSoftmax",
    "MSELoss", "MaxPool2d", "Maxout", "Module", "ModuleList", "MultiheadAttention", "NLLLoss",
    "PReLU", "Parameter", "RNN", "RNNCell", "ReLU", "Sequential", "Sigmoid", "Softmax", "Softplus",
    "Tanh", "TransformerEncoderLayer", "Upsample", "functional", "init", "normalized_adjacency",
    "utils",
]
