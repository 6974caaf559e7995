"""Module: registration, names, modes, state dicts, repr, summary."""
import numpy as np
import pytest

import npnn
from npnn import Tensor, nn
from tests.npnn.nn_helpers import float64  # noqa: F401  (fixture)

CNN_KEYS = [("0.weight", (8, 1, 3, 3)), ("0.bias", (8,)), ("3.weight", (16, 8, 3, 3)), ("3.bias", (16,)),
            ("7.weight", (32, 784)), ("7.bias", (32,)), ("9.weight", (10, 32)), ("9.bias", (10,))]


def cnn():
    return nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(784, 32), nn.ReLU(), nn.Linear(32, 10))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(4, 3), nn.Dropout(0.5))
        self.heads = nn.ModuleList([nn.Linear(3, 2), nn.Linear(3, 1)])
        self.scale = nn.Parameter(np.ones(1, dtype=np.float32))

    def forward(self, x):
        h = self.encoder(x)
        return self.heads[0](h).sum() + self.heads[1](h).sum() * self.scale


def test_state_dict_keys_and_shapes_equal_pytorchs_for_the_cnn():
    assert [(k, v.shape) for k, v in cnn().state_dict().items()] == CNN_KEYS


def test_named_parameters_follow_registration_order_own_first_as_in_pytorch():
    names = [n for n, _ in Net().named_parameters()]
    assert names == ["scale", "encoder.0.weight", "encoder.0.bias", "heads.0.weight", "heads.0.bias",
                     "heads.1.weight", "heads.1.bias"]


def test_num_parameters_counts_every_number():
    assert cnn().num_parameters() == 80 + 1168 + 25120 + 330
    assert nn.Linear(3, 2, bias=False).num_parameters() == 6


def test_shared_parameter_is_listed_once():
    layer = nn.Linear(2, 2)
    assert len(list(nn.Sequential(layer, layer).parameters())) == 2


def test_plain_list_of_modules_is_refused_with_a_pointer_to_modulelist():
    class Bad(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = [nn.Linear(2, 2)]
    with pytest.raises(TypeError, match="wrap it in nn.ModuleList"):
        Bad()


def test_assigning_before_init_and_non_parameter_to_a_parameter_slot_fail_clearly():
    class NoInit(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(np.zeros(2))
    with pytest.raises(AttributeError, match="super\\(\\).__init__\\(\\)"):
        NoInit()
    layer = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="as parameter 'weight'"):
        layer.weight = Tensor(np.zeros((2, 2)))
    layer.bias = None
    assert [n for n, _ in layer.named_parameters()] == ["weight"]


def test_train_and_eval_reach_every_descendant():
    model = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.Dropout(0.5), nn.Sequential(nn.Dropout(0.1))))
    model.eval()
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())


def test_eval_mode_makes_nested_dropout_the_identity():
    model = nn.Sequential(nn.Sequential(nn.Dropout(0.9)))
    x = Tensor(np.ones((4, 50), dtype=np.float32))
    assert (model(x).data == 0).any()
    model.eval()
    np.testing.assert_array_equal(model(x).data, x.data)


def test_zero_grad_clears_every_gradient():
    model = Net()
    model(Tensor(np.ones((2, 4), dtype=np.float32))).backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_state_dict_is_a_copy_and_load_state_dict_round_trips():
    a, b = cnn(), cnn()
    state = a.state_dict()
    state["0.bias"][:] = 7
    assert not (a[0].bias.data == 7).any()
    b.load_state_dict(a.state_dict())
    for (_, pa), (_, pb) in zip(a.named_parameters(), b.named_parameters()):
        np.testing.assert_array_equal(pa.data, pb.data)


def test_load_state_dict_names_missing_unexpected_and_misshapen_keys():
    model = cnn()
    state = model.state_dict()
    del state["9.bias"]
    state["10.weight"] = np.zeros(3)
    with pytest.raises(ValueError, match=r"missing keys \['9.bias'\]; unexpected keys \['10.weight'\]"):
        model.load_state_dict(state)
    result = model.load_state_dict(state, strict=False)
    assert result.missing_keys == ["9.bias"] and result.unexpected_keys == ["10.weight"]
    state = model.state_dict()
    state["7.weight"] = np.zeros((32, 783))
    before = model[0].weight.data.copy()
    state["0.weight"] = before + 1
    expected = r"'7.weight' has shape \(32, 783\) in the state dict, the model expects \(32, 784\)"
    with pytest.raises(ValueError, match=expected):
        model.load_state_dict(state)
    np.testing.assert_array_equal(model[0].weight.data, before)  # nothing written when a check fails


def test_load_state_dict_keeps_the_parameter_dtype():
    model = nn.Linear(2, 2)
    model.load_state_dict({"weight": np.ones((2, 2)), "bias": np.zeros(2)})
    assert model.weight.dtype == np.float32 and model.weight.data.sum() == 4


def test_repr_is_a_tree_like_pytorchs():
    model = nn.Sequential(nn.Linear(10, 128), nn.ReLU(), nn.Sequential(nn.Dropout(0.3)))
    assert repr(model) == ("Sequential(\n"
                           "  (0): Linear(in_features=10, out_features=128, bias=True)\n"
                           "  (1): ReLU()\n"
                           "  (2): Sequential(\n"
                           "    (0): Dropout(p=0.3)\n"
                           "  )\n"
                           ")")
    assert repr(nn.Conv2d(1, 8, 3, padding=1)) == "Conv2d(1, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))"


def test_labels_are_short():
    assert nn.Linear(10, 128).label() == "Linear(10→128)"
    assert nn.Conv2d(1, 8, 3).label() == "Conv2d(1→8, k=3)"
    assert nn.Conv2d(1, 8, (3, 5)).label() == "Conv2d(1→8, k=3x5)"
    assert nn.ReLU().label() == "ReLU" and nn.Dropout(0.3).label() == "Dropout(0.3)"


def test_summary_lists_label_output_shape_and_parameters_per_layer():
    rows = nn.summary(cnn(), (1, 28, 28))
    assert rows[0] == ("Conv2d(1→8, k=3)", (8, 28, 28), 80)
    assert rows[2] == ("MaxPool2d(2)", (8, 14, 14), 0)
    assert rows[6] == ("Flatten", (784,), 0)
    assert rows[-1] == ("Linear(32→10)", (10,), 330)
    with pytest.raises(TypeError, match="summary expects a model with child layers"):
        nn.summary(nn.Linear(2, 2), (2,))


def test_default_init_is_pytorchs_uniform_bound_in_the_default_dtype():
    npnn.manual_seed(0)
    layer = nn.Linear(400, 300)
    bound = 1 / np.sqrt(400)
    assert layer.weight.dtype == np.float32
    assert np.abs(layer.weight.data).max() <= bound and np.abs(layer.weight.data).max() > 0.95 * bound
    assert np.abs(layer.bias.data).max() <= bound
    conv = nn.Conv2d(8, 4, 3)
    assert np.abs(conv.weight.data).max() <= 1 / np.sqrt(72) and np.abs(conv.bias.data).max() <= 1 / np.sqrt(72)


def test_layers_follow_the_default_dtype(float64):
    assert nn.Linear(2, 2).weight.dtype == np.float64 and nn.Conv2d(1, 1, 2).bias.dtype == np.float64


def test_manual_seed_repeats_initialisation():
    npnn.manual_seed(3)
    a = cnn().state_dict()
    npnn.manual_seed(3)
    b = cnn().state_dict()
    assert all(np.array_equal(a[k], b[k]) for k in a)


def test_init_functions_match_their_documented_spread():
    w = nn.Parameter(np.zeros((200, 300), dtype=np.float32))
    nn.init.xavier_uniform_(w)
    assert np.abs(w.data).max() <= np.sqrt(6 / 500)
    nn.init.kaiming_normal_(w, nonlinearity="relu")
    assert abs(w.data.std() - np.sqrt(2 / 300)) < 0.01 * np.sqrt(2 / 300) * 10
    nn.init.zeros_(w)
    assert not w.data.any() and w.dtype == np.float32


def test_deepcopy_gives_an_independent_model_with_the_same_weights():
    import copy
    model = nn.MLP(3, [4], 2, dropout=0.1)
    clone = copy.deepcopy(model)
    assert list(clone.state_dict()) == list(model.state_dict())
    clone[0].weight.data[:] = 0
    assert model[0].weight.data.any()


# ---- shared modules (issue 10 item 5) -------------------------------------------------------------
def shared_model():
    lin = nn.Linear(3, 3)
    return nn.Sequential(lin, nn.ReLU(), lin), lin


def test_shared_module_is_in_the_state_dict_under_every_path_but_its_parameters_once():
    model, lin = shared_model()
    state = model.state_dict()
    assert list(state) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    np.testing.assert_array_equal(state["2.weight"], lin.weight.data)
    assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias"]
    assert len(list(model.parameters())) == 2 and model.num_parameters() == 12
    assert [n for n, _ in model.named_modules()] == ["", "0", "1"]  # PyTorch lists a shared module once
    assert [n for n, _ in model.named_modules(remove_duplicate=False)] == ["", "0", "1", "2"]


def test_a_state_dict_with_every_path_of_a_shared_module_loads_strictly():
    model, lin = shared_model()
    other, _ = shared_model()
    assert other.load_state_dict(model.state_dict()) == ([], [])
    np.testing.assert_array_equal(other[2].weight.data, lin.weight.data)
    partial = {k: v for k, v in model.state_dict().items() if k.startswith("0.")}
    with pytest.raises(ValueError, match=r"missing keys \['2.weight', '2.bias'\]"):
        other.load_state_dict(partial)


# ---- load_state_dict dtypes (issue 10 item 6) ----------------------------------------------------
@pytest.mark.parametrize("bad,shown", [
    (np.array(["a", "b"]), "<U1"),
    (np.ones(2) + 1j, "complex128"),
    (np.array([None, 1.0], dtype=object), "object"),
    (np.zeros(2, dtype="datetime64[s]"), "datetime64"),
])
def test_load_state_dict_refuses_non_real_arrays_naming_the_key_and_writes_nothing(bad, shown):
    model = nn.Linear(2, 2)
    weight, bias = model.weight.data.copy(), model.bias.data.copy()
    state = {"weight": weight + 1, "bias": bad}  # NOTE: the good key comes first, so a write-as-you-go would show
    with pytest.raises(TypeError, match=rf"'bias' has dtype {shown}.* the model expects float32"):
        model.load_state_dict(state)
    np.testing.assert_array_equal(model.weight.data, weight)
    np.testing.assert_array_equal(model.bias.data, bias)


def test_load_state_dict_refuses_a_float_into_an_integer_buffer_and_a_non_array():
    bn = nn.BatchNorm1d(2)
    state = bn.state_dict()
    state["num_batches_tracked"] = np.array(0.5)
    with pytest.raises(TypeError, match="'num_batches_tracked' has dtype float64 .* expects int64"):
        bn.load_state_dict(state)
    state["num_batches_tracked"] = {"not": "an array"}
    with pytest.raises(TypeError, match="'num_batches_tracked'"):
        bn.load_state_dict(state)


def test_load_state_dict_casts_integer_bool_and_float64_values_to_the_parameter_dtype():
    model = nn.Linear(2, 2)
    model.load_state_dict({"weight": np.array([[1, 2], [3, 4]]), "bias": np.array([True, False])})
    assert model.weight.dtype == np.float32 and model.bias.dtype == np.float32
    np.testing.assert_array_equal(model.weight.data, [[1, 2], [3, 4]])
    np.testing.assert_array_equal(model.bias.data, [1, 0])


# ---- buffers ------------------------------------------------------------------------------------
class WithBuffers(nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(np.ones(2, dtype=np.float32))
        self.register_buffer("total", Tensor(np.zeros(2, dtype=np.float32)))
        self.register_buffer("steps", np.array(0, dtype=np.int64))
        self.register_buffer("scratch", Tensor(np.zeros(3)), persistent=False)
        self.register_buffer("unused", None)
        self.inner = nn.BatchNorm1d(2)


def test_buffers_are_state_not_parameters_with_pytorchs_key_order():
    m = WithBuffers()
    assert list(m.state_dict()) == ["weight", "total", "steps", "inner.weight", "inner.bias",
                                    "inner.running_mean", "inner.running_var", "inner.num_batches_tracked"]
    assert [n for n, _ in m.named_parameters()] == ["weight", "inner.weight", "inner.bias"]
    assert [n for n, _ in m.named_buffers()] == ["total", "steps", "scratch", "inner.running_mean",
                                                 "inner.running_var", "inner.num_batches_tracked"]
    assert [n for n, _ in m.named_buffers(recurse=False)] == ["total", "steps", "scratch"]
    assert all(not b.requires_grad for b in m.buffers())
    assert m.state_dict()["steps"].dtype == np.int64 and m.steps.dtype == np.int64
    assert m.num_parameters() == 6


def test_buffers_load_reassign_and_are_checked_like_parameters():
    m = WithBuffers()
    state = m.state_dict()
    state["total"] = np.array([1.0, 2.0])
    state["inner.running_var"] = np.array([4.0, 5.0])
    m.load_state_dict(state)
    np.testing.assert_array_equal(m.total.data, [1, 2])
    assert m.total.dtype == np.float32
    np.testing.assert_array_equal(m.inner.running_var.data, [4, 5])
    del state["inner.running_mean"]
    with pytest.raises(ValueError, match=r"missing keys \['inner.running_mean'\]"):
        m.load_state_dict(state)
    m.total = Tensor(np.full(2, 7.0, dtype=np.float32))
    assert m.state_dict()["total"].tolist() == [7, 7]
    m.total = None
    assert "total" not in m.state_dict() and "total" in m._buffers
    with pytest.raises(TypeError, match="cannot assign ndarray as buffer 'steps' of WithBuffers"):
        m.steps = np.zeros(1)


def test_register_buffer_checks_its_arguments():
    m = WithBuffers()
    with pytest.raises(KeyError, match="without '.'"):
        m.register_buffer("a.b", None)
    with pytest.raises(KeyError, match="attribute 'weight' already exists"):
        m.register_buffer("weight", None)
    with pytest.raises(TypeError, match="must be a Tensor, an ndarray or None, got list"):
        m.register_buffer("c", [1, 2])
    with pytest.raises(TypeError, match="is a Parameter"):
        m.register_buffer("d", nn.Parameter(np.ones(1)))


def test_deepcopy_gives_independent_buffers():
    import copy
    bn = nn.BatchNorm1d(2)
    clone = copy.deepcopy(bn)
    clone(Tensor(np.arange(8, dtype=np.float32).reshape(4, 2)))
    assert int(clone.num_batches_tracked.item()) == 1 and int(bn.num_batches_tracked.item()) == 0
    assert clone._buffers["running_mean"] is clone.running_mean
    assert not bn.running_mean.data.any()


def test_batchnorm_state_dict_keys_and_dtypes():
    keys = [(k, v.dtype) for k, v in nn.BatchNorm2d(3).state_dict().items()]
    f4 = np.dtype(np.float32)
    assert keys == [("weight", f4), ("bias", f4), ("running_mean", f4), ("running_var", f4),
                    ("num_batches_tracked", np.dtype(np.int64))]
    assert list(nn.BatchNorm2d(3, affine=False).state_dict()) == ["running_mean", "running_var",
                                                                  "num_batches_tracked"]
    assert list(nn.BatchNorm2d(3, track_running_stats=False).state_dict()) == ["weight", "bias"]
    assert list(nn.LayerNorm((2, 3), bias=False).state_dict()) == ["weight"]


def bn_cnn():
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.AvgPool2d(2),
                         nn.Conv2d(4, 6, 3), nn.BatchNorm2d(6, momentum=None), nn.SiLU(),
                         nn.AdaptiveAvgPool2d(2), nn.Flatten(), nn.Linear(24, 8), nn.BatchNorm1d(8),
                         nn.ELU(), nn.LayerNorm(8), nn.Linear(8, 3))


def test_a_model_with_batchnorm_saves_and_loads_with_its_running_statistics(tmp_path):
    npnn.manual_seed(0)
    model = bn_cnn()
    x = Tensor(np.random.default_rng(1).random((5, 1, 8, 8), dtype=np.float32))
    for _ in range(3):
        model(x)
    npnn.save(model.state_dict(), tmp_path / "model.npz")
    loaded = npnn.load(tmp_path / "model.npz")
    assert loaded["1.num_batches_tracked"].dtype == np.int64 and int(loaded["1.num_batches_tracked"]) == 3
    clone = bn_cnn()
    clone.load_state_dict(loaded)
    model.eval(), clone.eval()
    np.testing.assert_array_equal(clone(x).data, model(x).data)
    assert not np.array_equal(clone(x).data, bn_cnn().eval()(x).data)
