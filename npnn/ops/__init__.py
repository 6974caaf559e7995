"""Every differentiable primitive, one Function class each, grouped by family."""
from npnn.ops.activation import ELU, SiLU
from npnn.ops.avg_pool import AvgPool2d, SeparableMean2d
from npnn.ops.conv import Conv2d, MaxPool2d
from npnn.ops.elementwise import (
                                  Abs,
                                  Add,
                                  Div,
                                  Exp,
                                  Log,
                                  LogSigmoid,
                                  Mul,
                                  Neg,
                                  Pow,
                                  PowScalar,
                                  ReLU,
                                  Sigmoid,
                                  Softplus,
                                  Sqrt,
                                  Sub,
                                  Tanh,
)
from npnn.ops.losses import BCE, BCEWithLogits, CrossEntropy, Huber
from npnn.ops.matmul import MatMul
from npnn.ops.nn_ops import GELU, LeakyReLU, Linear, LogSoftmax, SafeSoftmax, Softmax
from npnn.ops.norm import Normalize
from npnn.ops.reduce import Max, Sum
from npnn.ops.select import Clamp, CumSum, Embedding, Expand, Gather, Where
from npnn.ops.shape import Concatenate, GetItem, Reshape, Transpose

__all__ = ["BCE", "BCEWithLogits", "Abs", "Add", "Concatenate", "Conv2d", "CrossEntropy", "Div", "Exp", "GELU",
           "GetItem", "Huber", "LeakyReLU", "Linear", "Log", "LogSigmoid", "LogSoftmax", "MatMul", "Max", "MaxPool2d",
           "Mul", "Neg", "Pow", "PowScalar", "ReLU", "Reshape", "Sigmoid", "Softmax", "Softplus", "Sqrt", "Sub", "Sum",
           "Tanh", "Transpose", "AvgPool2d", "ELU", "Normalize", "SeparableMean2d", "SiLU",
           "Clamp", "CumSum", "SafeSoftmax", "Embedding", "Expand", "Gather", "Where"]
