"""The sequence task: generated sums and text windows, next-token scores, generation, the preset checks and
a tiny run of each preset end to end."""
import numpy as np
import pytest

from npnn import Tensor, nn
from presets import DataError, PresetError, SequencePredictions, load_preset
from presets.datasets import load_data
from presets.run import Run
from presets.schema import DataSpec, preset_from_dict
from presets.sequence import data, metrics
from presets.sequence.generate import complete, continue_ids
from presets.sequence.layers import GRUOutputs, LSTMOutputs, PositionalEmbedding, TransformerBlocks
from tests.npnn.nn_helpers import check_module, float64  # noqa: F401  (fixture)


def test_sums_are_written_with_padded_operands_and_only_the_answer_is_scored():
    sums = data.addition(500, 0.2, 0.2, seed=1)
    (x, y), (x_val, _), (x_test, _) = sums.splits
    assert x.shape == (320, 11) and x.dtype == np.int64 and len(x_val) == 80 and len(x_test) == 100
    text = data.decode(np.append(x[0], y[0, -1]), sums.vocab)
    a, b, answer = int(text[:3]), int(text[4:7]), int(text[8:])
    assert text[3] == "+" and text[7] == "=" and len(text) == 12 and a + b == answer
    assert (y[:, :7] == data.IGNORE).all() and (y[:, 7:] >= 0).all()
    assert (x[:, 1:] == np.where(y[:, :-1] == data.IGNORE, x[:, 1:], y[:, :-1])).all()  # y is x shifted by one
    held_out = {tuple(row) for part in (x_val, x_test) for row in part[:, :7]}
    assert not held_out & {tuple(row) for row in x[:, :7]}, "a held-out sum was trained on"


def test_text_is_cut_into_windows_the_held_out_parts_after_the_training_part(tmp_path):
    path = tmp_path / "book.txt"
    path.write_text("abcdefghij" * 40)
    text = data.text(path, 8, 0.1, 0.1)
    (x, y), (x_val, y_val), _ = text.splits
    assert text.vocab == "abcdefghij" and x.shape[1] == 8 and (y[:, :-1] == x[:, 1:]).all()
    assert len(x) > len(x_val) * 3  # training windows overlap (stride block_size // 4)
    assert text.source == {"source": "text", "block_size": 8, "path": str(path.resolve())}


@pytest.mark.parametrize("content, message", [
    (b"\xff\xfe\x00binary", "not UTF-8 text"),
    (b"ab\x00cd" * 100, "NUL characters"),
    (b"too short", "too few for train, validation and test windows"),
])
def test_a_text_that_cannot_train_is_refused_naming_the_file(tmp_path, content, message):
    path = tmp_path / "book.txt"
    path.write_bytes(content)
    with pytest.raises(DataError, match=message):
        data.text(path, 16, 0.1, 0.1)
    with pytest.raises(DataError, match="cannot read it"):
        data.text(tmp_path / "missing.txt", 16, 0.1, 0.1)


def test_scores_count_scored_positions_only():
    y = np.array([[data.IGNORE, 1, 2], [data.IGNORE, 0, 0]])
    outputs = np.zeros((2, 3, 3))
    outputs[0, :, 0] = 1                              # row 0: 0, 0, 0 → second and third wrong
    outputs[0, 1, 1] = 5                              # ...second right
    outputs[1, :, 0] = 1                              # row 1 all right
    assert metrics.token_accuracy(outputs, y) == 0.75
    assert metrics.exact_match(outputs, y) == 0.5
    assert metrics.position_accuracy(outputs, y) == [1.0, 0.5]
    assert metrics.scores(outputs[:, :2], np.array([[1, 2], [0, 0]])).keys() == {"accuracy"}  # text: all scored
    loss = metrics.TokenCrossEntropy()(Tensor(outputs), Tensor(y)).item()
    torch_like = nn.CrossEntropyLoss()(Tensor(outputs[y != data.IGNORE]), Tensor(y[y != data.IGNORE])).item()
    assert loss == pytest.approx(torch_like)
    assert metrics.unigram_loss(np.array([[data.IGNORE, 1, 1], [1, 0, data.IGNORE]])) == pytest.approx(
        -(3 * np.log(0.75) + np.log(0.25)) / 4)


class _Counter(nn.Module):
    """Predicts the token after the last one (mod 5): a model whose greedy answer is known."""

    def forward(self, x):
        return Tensor(np.eye(5)[(np.asarray(x.data) + 1) % 5] * 10)


def test_greedy_generation_is_the_most_likely_token_and_sampling_is_fixed_by_its_generator():
    model = _Counter()
    assert continue_ids(model, np.array([[0, 1]]), 4, block_size=3).tolist() == [[0, 1, 2, 3, 4, 0]]
    assert complete(model, "ab", "abcde", 3, block_size=2) == "cde"
    hot = [complete(model, "a", "abcde", 20, 4, temperature=50.0, generator=np.random.default_rng(seed))
           for seed in (1, 1, 2)]
    assert hot[0] == hot[1] != hot[2] and len(set(hot[0])) > 1
    with pytest.raises(ValueError, match="temperature must be >= 0"):
        complete(model, "a", "abcde", 1, 2, temperature=-1)
    with pytest.raises(DataError, match="character 'z' at position 1 is not in the vocabulary"):
        complete(model, "az", "abcde", 1, 2)


def test_a_sequence_task_reads_token_sources_only():
    raw = load_preset("char_lm").to_dict()
    with pytest.raises(PresetError, match="data.source must be 'addition' or 'text' for a sequence task, got 'wine'"):
        preset_from_dict({**raw, "data": {"source": "wine"}}, "x.toml", "x")
    with pytest.raises(PresetError, match="data.source must be a source other than 'addition' and 'text' for a "
                                          "classification task, got 'text'"):
        preset_from_dict({**raw, "task": "classification"}, "x.toml", "x")
    with pytest.raises(DataError, match="the addition data is generated"):
        load_data(DataSpec("addition", path="book.txt"), "sequence")


def test_positional_embedding_adds_a_learned_row_per_position(float64):
    layer = PositionalEmbedding(5, 3)
    x = np.random.default_rng(0).standard_normal((2, 4, 3))
    assert np.allclose(layer(Tensor(x)).data, x + layer.weight.data[:4])
    assert check_module(layer, x)
    with pytest.raises(ValueError, match=r"expects \(N, T, 3\) with T <= 5"):
        layer(Tensor(np.zeros((1, 6, 3))))


def test_causal_blocks_never_read_later_positions_and_recurrent_layers_give_outputs_only(float64):
    blocks = TransformerBlocks(4, 2, num_layers=2, dim_feedforward=8, dropout=0.0, causal=True)
    x = np.random.default_rng(1).standard_normal((1, 5, 4))
    later = x.copy()
    later[:, 3:] += 1
    assert np.allclose(blocks(Tensor(x)).data[:, :3], blocks(Tensor(later)).data[:, :3])
    assert not np.allclose(blocks(Tensor(x)).data[:, 3:], blocks(Tensor(later)).data[:, 3:])
    assert check_module(blocks, x[:, :3])
    for cls, base in ((GRUOutputs, nn.GRU), (LSTMOutputs, nn.LSTM)):
        layer = cls(4, 3, num_layers=2, generator=np.random.default_rng(0))
        plain = base(4, 3, num_layers=2, batch_first=True, generator=np.random.default_rng(0))
        assert list(layer.state_dict()) == list(plain.state_dict())
        assert np.allclose(layer(Tensor(x)).data, plain(Tensor(x))[0].data)


def test_the_wrappers_hold_torch_s_keys_and_numbers(torch):
    torch.manual_seed(0)
    layer = torch.nn.TransformerEncoderLayer(8, 2, 16, 0.0, "gelu", batch_first=True, norm_first=True)
    reference = torch.nn.TransformerEncoder(layer, 2, enable_nested_tensor=False).double().eval()
    blocks = TransformerBlocks(8, 2, 2, 16, 0.0, "gelu", norm_first=True, causal=True)
    state = {k: v.detach().numpy() for k, v in reference.state_dict().items()}
    blocks.load_state_dict(state)
    x = np.random.default_rng(2).standard_normal((3, 6, 8))
    mask = torch.nn.Transformer.generate_square_subsequent_mask(6, dtype=torch.float64)
    expected = reference(torch.from_numpy(x), mask=mask, is_causal=True).detach().numpy()
    assert list(blocks.state_dict()) == list(state)
    assert np.allclose(blocks(Tensor(x)).data, expected, atol=1e-10)
    gru = torch.nn.GRU(8, 5, num_layers=2, batch_first=True).double()
    ours = GRUOutputs(8, 5, num_layers=2)
    ours.load_state_dict({k: v.detach().numpy() for k, v in gru.state_dict().items()})
    assert np.allclose(ours(Tensor(x)).data, gru(torch.from_numpy(x))[0].detach().numpy(), atol=1e-10)


@pytest.mark.parametrize("name, limit", [("addition_transformer", 600), ("char_lm", None)])
def test_each_sequence_preset_trains_and_reports_its_scores(tmp_path, name, limit):
    overrides = {"epochs": 1, "batch_size": 64}
    preset = load_preset(name, overrides)
    if limit:
        preset.data.limit = limit
    result = Run(preset, out_dir=tmp_path).execute()
    val = result.after["val"]
    assert val["loss"] < result.before["val"]["loss"] and val["perplexity"] == pytest.approx(np.exp(val["loss"]))
    assert ("exact_match" in val) == (name == "addition_transformer")
    assert set(result.history.metrics) == ({"accuracy", "exact_match"} if limit else {"accuracy"})
    assert (result.run_dir / "config.toml").is_file()
    p = result.predictions
    assert isinstance(p, SequencePredictions) and len(p.prompts) == len(p.predicted) == len(p.expected) > 0
    if limit:  # the sums' answers: 4 digits after a "123+456=" prompt, right exactly when val's exact match says so
        assert all(len(prompt) == 8 and prompt[-1] == "=" and len(answer) == 4
                   for prompt, answer in zip(p.prompts, p.predicted))
        assert p.right.mean() == pytest.approx(result.after["test"]["exact_match"])


def test_a_text_s_windows_share_one_array_and_limit_reads_its_first_characters(tmp_path):
    path = tmp_path / "book.txt"
    path.write_text("abcdefghij" * 400)
    (x, y), _, _ = data.text(path, 16, 0.1, 0.1).splits
    assert np.shares_memory(x, y) and not x.flags.writeable  # views, not copies
    short = data.text(path, 16, 0.1, 0.1, limit=1000)
    assert sum(len(part[0]) for part in short.splits) < len(x) / 3 and "first 1,000 characters" in short.description


@pytest.mark.parametrize("layer, message", [
    ('{ type = "GRU", input_size = "auto", hidden_size = 8, bidirectional = true }',
     r"model\[1\] \(GRU\): bidirectional = true lets each position read the tokens after it"),
    ('{ type = "TransformerBlocks", nhead = 2, dim_feedforward = 8, causal = false }',
     r"model\[1\] \(TransformerBlocks\): causal = false lets each position read"),
])
def test_a_model_that_reads_the_tokens_it_predicts_is_refused(tmp_path, layer, message):
    path = tmp_path / "leak.toml"
    path.write_text('task = "sequence"\nmodel = [\n'
                    '{ type = "Embedding", num_embeddings = "auto", embedding_dim = 8 },\n'
                    f'{layer},\n{{ type = "Linear", out_features = "auto" }},\n]\n[data]\nsource = "text"\n'
                    'block_size = 8\n')
    with pytest.raises(PresetError, match=message):
        Run(load_preset(str(path)), out_dir=tmp_path).prepare()
    assert not [p for p in tmp_path.iterdir() if p.is_dir() and p.name.startswith("leak")]  # no run folder


def test_an_embedding_smaller_than_the_vocabulary_is_refused_before_training(tmp_path):
    preset = load_preset("char_lm")
    preset.model[0] = {**preset.model[0], "num_embeddings": 5}
    with pytest.raises(PresetError, match=r'model\[0\] \(Embedding\): num_embeddings is 5 but the data has \d+ '
                                          r'distinct tokens; use num_embeddings = "auto"'):
        Run(preset, out_dir=tmp_path).prepare()


def test_a_resumed_run_refuses_a_text_whose_characters_changed(tmp_path):
    book = tmp_path / "book.txt"
    book.write_text("abcdefgh " * 200)
    first = Run(load_preset("char_lm", {"epochs": 1, "batch_size": 64}), out_dir=tmp_path / "runs",
                data_path=book).execute()
    book.write_text("abcdefgZ " * 200)
    from presets.checkpoint import read_checkpoint
    checkpoint = read_checkpoint(first.run_dir)
    with pytest.raises(PresetError, match="its data's characters changed since it was trained "
                                          r"\(vocabulary ' abcdefgh' -> ' Zabcdefg'\)"):
        Run(load_preset("char_lm", {"epochs": 2}), out_dir=tmp_path / "runs", data_path=book,
            resume=checkpoint).prepare()


def test_a_one_character_context_trains_and_predicts_and_a_byte_order_mark_is_not_a_character(tmp_path):
    book = tmp_path / "book.txt"
    book.write_text("\ufeff" + "ab ba " * 300, encoding="utf-8")
    assert data.text(book, 4, 0.1, 0.1).vocab == " ab"
    preset = load_preset("char_lm", {"epochs": 1, "batch_size": 64})
    preset.data.block_size = 1
    result = Run(preset, out_dir=tmp_path / "runs", data_path=book).execute()
    assert {len(p) for p in result.predictions.prompts} == {1} and {len(p) for p in result.predictions.predicted} == {1}


def test_block_size_belongs_to_text_data_only():
    raw = load_preset("addition_transformer").to_dict()
    assert "block_size" not in raw["data"] and "block_size" not in load_preset("tabular_mlp").to_dict()["data"]
    with pytest.raises(PresetError, match='data.block_size applies to data.source = "text" only'):
        preset_from_dict({**raw, "data": {**raw["data"], "block_size": 8}}, "x.toml", "x")


def test_a_data_path_that_is_not_utf8_text_is_refused_before_training(tmp_path):
    import os
    name = os.fsdecode(b"book-\xff.txt")
    (tmp_path / name).write_text("abc " * 200)
    with pytest.raises(DataError, match="the file name is not UTF-8 text"):
        load_data(DataSpec("text"), "sequence", tmp_path / name)
