"""Python source the PyTorch and NumPy exports of a sequence run share: the vocabulary, `prepare` (prompts to
token ids), greedy completion (`complete`, `predict`) and a `__main__` completing the prompts it is given.

The network maps token ids (N, T) to logits (N, T, len(VOCAB)); generation is the loop written here, the
same as presets.sequence.generate's at temperature 0 (the most likely character each time), so the
scripts complete prompts as `npnn-tui predict` does. Sampling at a temperature is left to the caller.
"""
from __future__ import annotations

from presets.bundle import TEXT_LENGTH, Bundle, prompt_rule


def sequence_constants(bundle: Bundle, literal) -> str:
    """VOCAB, PROMPT_LENGTH and CONTEXT; for an addition run, the form of a whole prompt (PROMPT_PATTERN, in
    words PROMPT_RULE) the command line checks."""
    lines = [literal("VOCAB", bundle.vocab), literal("PROMPT_LENGTH", bundle.prompt_length),
             literal("CONTEXT", bundle.input_shape[0])]
    if bundle.prompt_length is not None:
        pattern, rule = prompt_rule(bundle.prompt_length)
        lines += [literal("PROMPT_PATTERN", pattern), literal("PROMPT_RULE", rule)]
    return "\n".join(lines)


SEQUENCE_NOTE = """The network (`forward`) maps token ids (N, T), 1 <= T <= CONTEXT, token i the character VOCAB[i], to
logits (N, T, len(VOCAB)): at each position, the scores of the next character. Generation is left to the
caller: `complete` writes greedily (append the argmax of the last position's logits, run again on the
last CONTEXT ids), as npnn-tui predict does at temperature 0; to sample, draw from softmax(logits / T)."""

SEQUENCE_PREPARE = '''def encode(prompt):
    """Token ids of `prompt` (token i is the character VOCAB[i]); ValueError naming a character outside it."""
    for position, char in enumerate(prompt):
        if char not in VOCAB:
            raise ValueError(f"character {char!r} at position {position} is not in the vocabulary ({VOCAB!r})")
    return np.array([VOCAB.index(char) for char in prompt], dtype=np.int64)


def prepare(prompts):
    """Prompts of one length as token ids (N, T), T at most CONTEXT; an array of ids passes as it is."""
    if isinstance(prompts, str):
        prompts = [prompts]
    if isinstance(prompts, np.ndarray) and prompts.dtype.kind in "iu":
        return prompts.reshape(-1, prompts.shape[-1]).astype(np.int64)
    return np.stack([encode(prompt) for prompt in prompts])'''

SEQUENCE_ANSWERS = f'''def complete(prompt, length=None):
    """The characters the network writes after `prompt`, one at a time, each the most likely (greedy), the
    network reading the last CONTEXT characters. `length` defaults to the rest of an addition example
    (CONTEXT + 1 characters in all) or {TEXT_LENGTH} characters of text."""
    if length is None:
        length = CONTEXT + 1 - len(prompt) if PROMPT_LENGTH is not None else {TEXT_LENGTH}
    if not prompt or length < 1:
        raise ValueError(f"nothing to write after {{prompt!r}}: the prompt is empty, or an addition example "
                         f"({{CONTEXT + 1}} characters) is already complete")
    ids = encode(prompt)
    for _ in range(length):
        logits = forward(ids[None, -CONTEXT:])[0, -1]
        ids = np.append(ids, np.argmax(logits))
    return "".join(VOCAB[i] for i in ids[len(prompt):])


def predict(prompts):
    """Each prompt's greedy completion (a prompt or a list of them), as npnn-tui predict writes it."""
    return np.array([complete(prompt) for prompt in ([prompts] if isinstance(prompts, str) else prompts)], dtype=str)'''

_WHOLE_PROMPT = '''
    if not re.fullmatch(PROMPT_PATTERN, prompt):
        raise ValueError(f"prompt {prompt!r} ({len(prompt)} characters) is not a prompt this model answers: "
                         f"{PROMPT_RULE}")'''


def sequence_main(bundle: Bundle, usage: str) -> str:
    """`check_prompt` and a `__main__` that checks every prompt (bad input: one line, exit 2, nothing printed)
    before printing each with its completion; no prompt is `usage` and exit 2."""
    addition = bundle.prompt_length is not None
    return f'''def check_prompt(prompt):
    """ValueError naming what is wrong with a prompt: empty, a character outside VOCAB{
        "," + chr(10) + "    or not a whole addition prompt (PROMPT_RULE)" if addition else ""}."""
    if not prompt:
        raise ValueError("a prompt is empty: the model continues a prompt of at least one character")
    encode(prompt){_WHOLE_PROMPT if addition else ""}


if __name__ == "__main__":
{usage}
    try:
        for prompt in sys.argv[1:]:
            check_prompt(prompt)
    except ValueError as error:
        print(f"{{sys.argv[0]}}: {{error}}", file=sys.stderr)
        sys.exit(2)
    for prompt in sys.argv[1:]:
        print(prompt + complete(prompt))'''


SEQUENCE_ARGUMENTS = ("PROMPT ...", "each prompt and its greedy completion, one a line")
