"""npnn.nn: Module, layers, activations, losses (PyTorch's names, shapes and state-dict keys)."""
from npnn.nn import functional, init, utils
from npnn.nn.activation import GELU, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from npnn.nn.container import MLP, ModuleList, Sequential
from npnn.nn.conv import Conv2d
from npnn.nn.dropout import Dropout
from npnn.nn.flatten import Flatten
from npnn.nn.linear import Linear
from npnn.nn.loss import (BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, L1Loss, MAELoss,
                          MSELoss)
from npnn.nn.module import Module, Parameter
from npnn.nn.pooling import MaxPool2d
from npnn.nn.summary import summary

__all__ = ["BCELoss", "BCEWithLogitsLoss", "Conv2d", "CrossEntropyLoss", "Dropout", "Flatten", "GELU",
           "HuberLoss", "L1Loss", "LeakyReLU", "Linear", "MAELoss", "MLP", "MSELoss", "MaxPool2d", "Module",
           "ModuleList", "Parameter", "ReLU", "Sequential", "Sigmoid", "Softmax", "Tanh", "functional",
           "init", "summary", "utils"]
