"""Every threshold the Inside tab's verdicts use, in one place (docs/inside.md lists them; a test checks).

Ratios compare a layer's parameters as one vector (all its weights and biases): the gradient's norm to
the weights' norm, and one optimizer step's change to the weights' norm.
"""

VANISHING_GRAD_RATIO = 1e-5     # grad norm below this share of the weights' norm: gradients vanishing
EXPLODING_GRAD_RATIO = 10.0     # grad norm above this multiple of the weights' norm: gradients exploding
UPDATE_RATIO_TARGET = 1e-3      # the rule of thumb: one step changes the weights by about 1e-3 of their norm
UPDATE_RATIO_LOW = 1e-5         # below: updates tiny (learning rate too low?)
UPDATE_RATIO_HIGH = 1e-1        # above: updates too large (learning rate too high?)
DEAD_RELU_SHARE = 0.5           # at least this share of a ReLU's units output 0 on every sample: dying ReLUs
SATURATION_MARGIN = 0.01        # a sigmoid output within this of 0 or 1 (tanh: twice this of ±1) is saturated
SATURATED_SAMPLE_SHARE = 0.9    # a unit saturated on at least this share of the batch's values is saturated
SATURATED_SHARE = 0.5           # at least this share of a sigmoid/tanh layer's units saturated: saturating

ALL = {name: value for name, value in globals().items() if name.isupper() and name != "ALL"}
