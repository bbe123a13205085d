"""Issue 13: every empirical reader on malformed files (Hypothesis; strategies in strategies_empirical.py).

Law, for each reader and each drawn file: it returns a valid result, or raises ValueError / TypeError /
OSError / UsageError whose message names the file (and the column or line where the strategy knows it) --
never another exception, and never a result that differs from what the file holds.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from empirical.fit.pythia import ROW_KEY, read_loss_csv
from empirical.measure.jobs import read_jobs
from empirical.measure.texts import load_texts
from infogeo.runner import UsageError

from .strategies_empirical import LOSS, loss_csvs, text_files

NAMED_ERRORS = (ValueError, TypeError, OSError, UsageError)


def _write(data: bytes, name: str) -> tuple[tempfile.TemporaryDirectory, Path]:
    tmp = tempfile.TemporaryDirectory()
    path = Path(tmp.name) / name
    path.write_bytes(data)
    return tmp, path


@settings(max_examples=80)
@given(case=loss_csvs())
def test_read_loss_csv_returns_a_valid_table_or_names_the_file_and_column(case):
    tmp, path = _write(case.data, "losses.csv")
    with tmp:
        try:
            df = read_loss_csv(path, LOSS)
        except NAMED_ERRORS as exc:
            assert case.expect_error is not False, f"refused a valid table: {exc}"
            assert str(path) in str(exc), str(exc)
            assert case.error_hint in str(exc), (case.error_hint, str(exc))
            return
        except Exception as exc:  # pragma: no cover - the failure this test exists for
            raise AssertionError(f"{type(exc).__name__} escaped read_loss_csv: {exc}") from exc
        assert case.expect_error is not True, "a defective table was accepted"
        if case.expect_error is False:
            assert len(df) == case.n_rows
        loss = df[LOSS].to_numpy(np.float64)
        assert np.all(np.isfinite(loss)) and np.all(loss > 0)
        assert np.all(df["step"].to_numpy() >= 0)
        assert not df.duplicated(list(ROW_KEY)).any()


@settings(max_examples=100)
@given(case=text_files())
def test_load_texts_returns_exactly_the_texts_or_names_the_file_and_line(case):
    tmp, path = _write(case.data, "texts" + case.suffix)
    with tmp:
        try:
            texts = load_texts(path)
        except NAMED_ERRORS as exc:
            assert case.bad_line is not None, f"refused a valid file: {exc}"
            assert str(exc).startswith(str(path)), str(exc)
            if case.bad_line:
                assert f"{path}:{case.bad_line}:" in str(exc), (case.bad_line, str(exc))
            return
        except Exception as exc:  # pragma: no cover
            raise AssertionError(f"{type(exc).__name__} escaped load_texts: {exc}") from exc
        assert case.bad_line is None, f"line {case.bad_line} is defective but {len(texts)} texts came back"
        assert texts == case.texts


@settings(max_examples=50)
@given(lines=st.lists(st.one_of(st.binary(max_size=30), st.text(max_size=30).map(str.encode)), max_size=6))
def test_read_jobs_returns_model_revision_pairs_or_names_the_file(lines):
    tmp, path = _write(b"\n".join(lines), "jobs.txt")
    with tmp:
        try:
            jobs = read_jobs(path)
        except NAMED_ERRORS as exc:
            assert str(path) in str(exc), str(exc)
            return
        except Exception as exc:  # pragma: no cover
            raise AssertionError(f"{type(exc).__name__} escaped read_jobs: {exc}") from exc
        assert jobs and all(isinstance(m, str) and m and (r is None or (isinstance(r, str) and r)) for m, r in jobs)


_HEX = st.text(alphabet="0123456789abcdef", min_size=64, max_size=64)


@settings(max_examples=50)
@given(lines=st.lists(st.one_of(st.binary(max_size=80),
                                st.tuples(_HEX, st.sampled_from(["a.csv", "*b.csv", "c d.csv"])).map(
                                    lambda t: f"{t[0]} {t[1]}".encode())), max_size=5))
def test_read_checksums_returns_the_listing_or_names_the_file_and_line(lines):
    from empirical.io import read_checksums

    tmp, path = _write(b"\n".join(lines), "SHA256SUMS")
    with tmp:
        try:
            listed = read_checksums(path.parent)
        except NAMED_ERRORS as exc:
            assert f"{path}:" in str(exc), str(exc)
            return
        except Exception as exc:  # pragma: no cover
            raise AssertionError(f"{type(exc).__name__} escaped read_checksums: {exc}") from exc
        expected = {}
        for raw in lines:
            if raw.strip():
                digest, name = raw.decode().split(maxsplit=1)
                expected[name.lstrip("*")] = digest
        assert listed == expected
