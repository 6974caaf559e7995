"""The Predictions tab's view of a sequence model: its exact completions counted, the wrong ones listed
first beside what was expected."""
from presets import SequencePredictions
from tui.widgets.predictions import completions_text


def test_wrong_completions_come_first_with_the_expected_answer():
    p = SequencePredictions("test", "best", ["123+456=", "001+001=", "999+999="], ["0579", "0003", "1998"],
                            ["0579", "0002", "1998"])
    lines = completions_text(p).plain.splitlines()
    assert lines[0].startswith("2 of 3 test prompts completed exactly")
    assert lines[2] == "  ✗ 001+001=0003   expected '0002'"
    assert lines[3:5] == ["  ✓ 123+456=0579", "  ✓ 999+999=1998"]
