"""npnn.nn: Module, layers, activations, losses (PyTorch's names, shapes and state-dict keys)."""
from npnn.nn import functional, init, utils
from npnn.nn.activation import ELU, GELU, LeakyReLU, ReLU, Sigmoid, SiLU, Softmax, Softplus, Tanh
from npnn.nn.attention import MultiheadAttention
from npnn.nn.container import MLP, ModuleList, Sequential
from npnn.nn.conv import Conv2d
from npnn.nn.dropout import Dropout
from npnn.nn.flatten import Flatten
from npnn.nn.linear import Identity, Linear
from npnn.nn.loss import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, L1Loss, MAELoss, MSELoss
from npnn.nn.module import Module, Parameter
from npnn.nn.normalization import BatchNorm1d, BatchNorm2d, LayerNorm
from npnn.nn.pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d
from npnn.nn.recurrent import GRU, LSTM
from npnn.nn.sparse import Embedding
from npnn.nn.summary import summary
from npnn.nn.transformer import TransformerEncoder, TransformerEncoderLayer

__all__ = ["AdaptiveAvgPool2d", "AvgPool2d", "BCELoss", "BCEWithLogitsLoss", "BatchNorm1d", "BatchNorm2d",
           "Conv2d", "CrossEntropyLoss", "Dropout", "ELU", "Flatten", "GELU", "GRU", "HuberLoss", "Identity",
           "L1Loss", "LSTM", "LayerNorm", "LeakyReLU", "Linear", "MAELoss", "MLP", "MSELoss", "MaxPool2d",
           "Module", "ModuleList", "Parameter", "ReLU", "Sequential", "SiLU", "Sigmoid", "Softmax", "Softplus", "Tanh",
           "functional", "init", "summary", "utils",
           "Embedding", "MultiheadAttention", "TransformerEncoder", "TransformerEncoderLayer"]
