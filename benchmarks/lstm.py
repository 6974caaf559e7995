"""Case: forward + backward of a 1-layer LSTM (see benchmarks/recurrent.py)."""
from functools import partial

from benchmarks import recurrent

TITLE = recurrent.title("LSTM")
npnn_runner = partial(recurrent.npnn_runner, "LSTM")
torch_runner = partial(recurrent.torch_runner, "LSTM")
