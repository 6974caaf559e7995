"""Every differentiable primitive, one Function class each, grouped by family."""
from npnn.ops.elementwise import (Abs, Add, Div, Exp, Log, Mul, Neg, Pow, PowScalar, ReLU, Sigmoid,
                                  Sqrt, Sub, Tanh)
from npnn.ops.matmul import MatMul
from npnn.ops.nn_ops import LogSoftmax, Softmax
from npnn.ops.reduce import Max, Sum
from npnn.ops.shape import Concatenate, GetItem, Reshape, Transpose

__all__ = ["Abs", "Add", "Concatenate", "Div", "Exp", "GetItem", "Log", "LogSoftmax", "MatMul", "Max",
           "Mul", "Neg", "Pow", "PowScalar", "ReLU", "Reshape", "Sigmoid", "Softmax", "Sqrt", "Sub",
           "Sum", "Tanh", "Transpose"]
