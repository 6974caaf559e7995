"""Case: forward + backward of a 1-layer GRU (see benchmarks/recurrent.py)."""
from functools import partial

from benchmarks import recurrent

TITLE = recurrent.title("GRU")
npnn_runner = partial(recurrent.npnn_runner, "GRU")
torch_runner = partial(recurrent.torch_runner, "GRU")
