"""Laws of empirical.measure.metrics on plain arrays: direct float64 recomputation, the Schur identity, Lasso KKT."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from empirical.measure import metrics as M
from theory.gp import posterior_variance


def _Z(seed: int, n: int, d: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    # A shared direction makes tokens correlated, as real states are.
    return rng.normal(size=(n, d)) + 2.0 * rng.normal(size=(1, d))


def _unit(Z):
    return Z / np.linalg.norm(Z, axis=1, keepdims=True)


shapes = st.tuples(st.integers(0, 10_000), st.integers(1, 24), st.integers(2, 40))


@given(shapes)
def test_entropy_equals_direct_float64_recomputation(shape):
    seed, n, d = shape
    Z = _Z(seed, n, d)
    got = M.entropy_measures(Z, eps=0.1)
    U = _unit(Z)
    sign, logdet = np.linalg.slogdet(np.eye(d) + d / 0.1**2 * (U.T @ U / n))
    L = 0.5 * (d + n) * logdet
    assert sign > 0
    assert got["n_tokens"] == n and got["d"] == d
    np.testing.assert_allclose(got["L_eps"], L, rtol=1e-10)
    np.testing.assert_allclose(got["L_eps_normalized"], L / (0.5 * (d + n) * d * np.log(1 + 1 / 0.1**2)), rtol=1e-10)
    assert 0 < got["L_eps_normalized"] <= 1 + 1e-12
    lam = np.linalg.eigvalsh(U.T @ U / n)
    lam = lam[lam > 1e-15]
    np.testing.assert_allclose(got["matrix_entropy"], -np.sum(lam * np.log(lam)) / np.log(d), rtol=1e-8, atol=1e-12)


@given(shapes)
def test_info_gain_every_prefix_equals_its_own_logdet(shape):
    seed, n, d = shape
    Z = _Z(seed, n, d)
    c = M.info_gain_curve(Z, sigma=0.01)
    U = _unit(Z)
    direct = [0.5 * np.linalg.slogdet(np.eye(t) + U[:t] @ U[:t].T / 0.01**2)[1] for t in range(1, n + 1)]
    np.testing.assert_allclose(c["info_gain"], direct, rtol=1e-10)
    np.testing.assert_array_equal(c["t"], np.arange(1, n + 1))
    np.testing.assert_allclose(c["info_gain_normalized"], c["info_gain"] / d, rtol=1e-15)
    np.testing.assert_allclose(np.cumsum(c["increment"]), c["info_gain"], rtol=1e-12)
    # Section 4.1: I(y_T; f) <= d log(1 + T / sigma^2) for unit-norm tokens, and gains never decrease.
    assert np.all(c["info_gain"] <= d * np.log1p(np.arange(1, n + 1) / 0.01**2) + 1e-9)
    assert np.all(c["increment"] >= 0)


@given(shapes, st.sampled_from([0.01, 0.1, 1.0]))
def test_increments_obey_schur_identity(shape, sigma):
    seed, n, d = shape
    Z = _Z(seed, n, d)
    inc = M.info_gain_curve(Z, sigma=sigma)["increment"]
    assert inc[0] == pytest.approx(0.5 * np.log1p(1 / sigma**2), rel=1e-12)  # k(z, z) = 1, no past
    for t in range(1, n):
        var = posterior_variance(Z[:t], Z[t], sigma)
        assert inc[t] == pytest.approx(0.5 * np.log1p(var / sigma**2), rel=1e-7, abs=1e-10)


def test_lasso_alpha_mapping_is_lambda_over_2d():
    assert M.lasso_alpha_from_lambda(1e-4, 2048) == pytest.approx(1e-4 / 4096, rel=1e-15)
    with pytest.raises(ValueError, match="lam"):
        M.lasso_alpha_from_lambda(0.0, 3)
    with pytest.raises(ValueError, match="n_coordinates"):
        M.lasso_alpha_from_lambda(1e-4, 0)


@given(st.integers(0, 10_000), st.integers(2, 12), st.sampled_from([1e-4, 1e-2, 1e-1]))
def test_lasso_solves_the_papers_objective(seed, T, lam):
    """KKT conditions of min ||z - Z^T b||^2 + lam ||b||_1 (the paper's scaling, not sklearn's)."""
    d = 30
    Z = _Z(seed, T + 1, d)
    beta = M.lasso_fit(Z[:T], Z[T], lam)[0]
    X, y = _unit(Z[:T]).T, _unit(Z[T:])[0]
    grad = 2 * X.T @ (y - X @ beta)  # = lam * sign(b_j) where b_j != 0, |.| <= lam where b_j == 0
    nz = beta != 0
    np.testing.assert_allclose(grad[nz], lam * np.sign(beta[nz]), rtol=1e-3, atol=1e-6 * lam + 1e-9)
    assert np.all(np.abs(grad[~nz]) <= lam * (1 + 1e-3) + 1e-9)


def test_lasso_selects_the_token_a_target_copies():
    rng = np.random.default_rng(3)
    Z = rng.normal(size=(6, 64))
    target = Z[2] + 0.01 * rng.normal(size=64)
    beta = M.lasso_fit(Z, target)[0]
    assert list(M.select_tokens(beta)) == [2]


@given(st.lists(st.floats(-1, 1, allow_nan=False), min_size=1, max_size=20), st.floats(0, 0.5))
def test_select_tokens_keeps_exactly_weights_above_threshold(w, thr):
    w = np.array(w)
    sel = M.select_tokens(w, thr)
    assert set(sel.tolist()) == set(np.flatnonzero(w > thr).tolist())
    assert np.all(np.diff(w[sel]) <= 0)
    if len(w) > 1:
        assert 0 not in M.select_tokens(w, thr, exclude=0)


@settings(max_examples=15)
@given(st.integers(0, 10_000), st.integers(1, 6), st.integers(1, 6),
       st.sampled_from(["logdet", "js", "riemann", "logeuclid"]))
def test_subspace_reduction_is_exact(seed, na, nb, metric):
    d = 20
    Za, Zb = _Z(seed, na, d), _Z(seed + 1, nb, d)
    full = M.sentence_distance(Za, Zb, metric, reduce=False)
    red = M.sentence_distance(Za, Zb, metric)
    np.testing.assert_allclose(red, full, rtol=1e-7, atol=1e-9)
    assert M.sentence_distance(Zb, Za, metric) == pytest.approx(red, rel=1e-9, abs=1e-12)
    assert M.sentence_distance(Za, Za, metric) == pytest.approx(0.0, abs=1e-6)


@settings(max_examples=10)
@given(st.integers(0, 10_000), st.sampled_from(["logdet", "js", "riemann", "logeuclid"]))
def test_pyriemann_agrees(seed, metric):
    pytest.importorskip("pyriemann")
    Za, Zb = _Z(seed, 4, 24), _Z(seed + 7, 6, 24)
    np.testing.assert_allclose(M.pyriemann_distance(Za, Zb, metric), M.sentence_distance(Za, Zb, metric), rtol=1e-6)


@pytest.mark.parametrize("metric", ["logdet", "js", "riemann", "logeuclid"])
def test_sentence_distance_is_symmetric_zero_on_itself_and_positive_between_sentences(metric):
    states = [_Z(s, 3 + s, 16) for s in range(4)]
    for i, a in enumerate(states):
        assert M.sentence_distance(a, a, metric) == pytest.approx(0, abs=1e-6)
        for b in states[i + 1:]:
            d_ab, d_ba = M.sentence_distance(a, b, metric), M.sentence_distance(b, a, metric)
            assert d_ab == pytest.approx(d_ba, rel=1e-9) and d_ab > 1e-3


def test_bad_states_are_named():
    with pytest.raises(ValueError, match="non-finite"):
        M.info_gain_curve(np.array([[1.0, np.nan], [0.0, 1.0]]))
    with pytest.raises(ValueError, match=r"shape \(n_tokens, d\)"):
        M.entropy_measures(np.ones(5))
    with pytest.raises(ValueError, match="at least one token"):
        M.entropy_measures(np.ones((0, 4)))
    with pytest.raises(ValueError, match="all-zero token row"):
        M.info_gain_curve(np.zeros((2, 3)))
    with pytest.raises(TypeError, match="Z must be"):
        M.entropy_measures("text")
    with pytest.raises(ValueError, match="ridge must be > 0"):
        M.sentence_distance(np.ones((2, 4)), np.eye(4)[:2], "riemann", ridge=0.0)
    with pytest.raises(ValueError, match="metric must be"):
        M.sentence_distance(np.ones((2, 4)), np.eye(4)[:2], "cosine")


@pytest.mark.parametrize("pyriemann_present", [True, False])
def test_pyriemann_distance_names_a_bad_metric_even_without_pyriemann(monkeypatch, pyriemann_present):
    Za, Zb = _Z(0, 3, 8), _Z(1, 4, 8)
    if not pyriemann_present:
        # None in sys.modules makes every import of these names raise ImportError
        for mod in ("pyriemann", "pyriemann.geometry", "pyriemann.utils", "pyriemann.utils.distance"):
            monkeypatch.setitem(__import__("sys").modules, mod, None)
        assert np.isnan(M.pyriemann_distance(Za, Zb, "riemann"))
    with pytest.raises(ValueError, match="metric must be one of .*'cosine'"):
        M.pyriemann_distance(Za, Zb, "cosine")
