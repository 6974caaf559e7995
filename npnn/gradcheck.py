"""Compare autograd's gradients with central finite differences, in float64."""
import numpy as np

from npnn.tensor import Tensor


def gradcheck(fn, *inputs, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-4, seed: int = 0) -> bool:
    """Check d fn(*inputs) / d input for every floating input; raise AssertionError naming the worst entry.

    Inputs may be Tensors or arrays; floating ones are checked (as float64 copies that require grad),
    others (integer labels, masks) are passed through. A non-scalar output is reduced with fixed
    random weights, so every output entry takes part in the check.
    """
    tensors = []
    for x in inputs:
        data = x.data if isinstance(x, Tensor) else np.asarray(x)
        if data.dtype.kind == "f":
            tensors.append(Tensor(data.astype(np.float64), requires_grad=True))
        else:
            tensors.append(x if isinstance(x, Tensor) else Tensor(data))
    out = fn(*tensors)
    weights = np.random.default_rng(seed).standard_normal(out.shape)

    def objective() -> float:
        return float((fn(*tensors).data * weights).sum())

    out.backward(weights)
    for position, t in enumerate(tensors):
        if not t.requires_grad:
            continue
        analytic = np.zeros_like(t.data) if t.grad is None else t.grad
        numeric = np.zeros_like(t.data)
        flat, flat_numeric = t.data.reshape(-1), numeric.reshape(-1)
        for i in range(flat.size):
            original = flat[i]
            flat[i] = original + eps
            plus = objective()
            flat[i] = original - eps
            minus = objective()
            flat[i] = original
            flat_numeric[i] = (plus - minus) / (2 * eps)
        error = np.abs(analytic - numeric) - (atol + rtol * np.abs(numeric))
        if (error > 0).any():
            worst = np.unravel_index(int(np.argmax(error)), numeric.shape)
            raise AssertionError(f"gradcheck failed for input {position} (shape {t.shape}) at {worst}: "
                                 f"autograd {analytic[worst]:.8g}, finite differences {numeric[worst]:.8g}")
    return True
