"""Optimizers with PyTorch's update rules, and learning-rate schedulers."""
from npnn.optim import lr_scheduler
from npnn.optim.adam import Adam, AdamW
from npnn.optim.optimizer import Optimizer
from npnn.optim.rmsprop import RMSprop
from npnn.optim.sgd import SGD, Momentum

__all__ = ["SGD", "Adam", "AdamW", "Momentum", "Optimizer", "RMSprop", "lr_scheduler"]
