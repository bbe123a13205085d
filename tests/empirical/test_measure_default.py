"""The default model of `python -m empirical measure` is the mini-Pythia family."""
from empirical.measure.cli import DEFAULT_MODEL, main
from empirical.minipythia import DEFAULT_CONFIG


def test_default_is_minipythia_and_unknown_sizes_are_named(tmp_path, capsys):
    assert DEFAULT_MODEL == "minipythia"
    assert main(["--model", "minipythia:no-such-size", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "no-such-size" in err and DEFAULT_CONFIG.sizes[-1].name in err
