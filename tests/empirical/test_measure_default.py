"""The default model of `python -m empirical measure` is the mini-Pythia family."""
from empirical.measure.cli import DEFAULT_MODEL, main
from empirical.minipythia import DEFAULT_CONFIG


def test_default_is_minipythia_and_unknown_sizes_are_named(tmp_path, capsys):
    assert DEFAULT_MODEL == "minipythia"
    assert main(["--model", "minipythia:no-such-size", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "no-such-size" in err and DEFAULT_CONFIG.sizes[-1].name in err


def test_the_report_measures_on_a_fixed_thread_count_whatever_the_machine(tmp_path, monkeypatch):
    """The thread count orders torch's and MKL's sums: the report's forward passes run on REPORT_THREADS threads
    (not the machine's core count) with deterministic algorithms, and the caller's settings come back after."""
    import torch

    import empirical.measure.report as R

    seen = []

    def fake_measure(*args, **kwargs):
        seen.append((torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()))
        return {}

    monkeypatch.setattr(R, "measure_cached", fake_measure)
    monkeypatch.setattr(R, "_measurement_tables", lambda runs, sizes: {})
    before = torch.get_num_threads()
    torch.set_num_threads(R.REPORT_THREADS + 1)
    try:
        R.report_tables(model=str(tmp_path / "m"), out_dir=tmp_path, progress=False)
        assert seen == [(R.REPORT_THREADS, True)]
        assert torch.get_num_threads() == R.REPORT_THREADS + 1 and not torch.are_deterministic_algorithms_enabled()
    finally:
        torch.set_num_threads(before)
