"""Section 3 (Assumption 3.5, Theorems 3.7 and 3.8): figures of the neural experiment, drawn from its tables only.

Each function returns a matplotlib Figure in the suite's one style (:mod:`infogeo.plotstyle`);
none computes anything the tables do not hold.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from infogeo.plotstyle import ALTERNATIVE, COLORS, CYCLE, THEORY, figure, fmt_interval, suptitle

__all__ = ["fig_task_curves", "fig_learning_times", "fig_loss_steps", "fig_width", "fig_robustness", "fig_examples"]

LN2 = float(np.log(2.0))
_WHAT = "MLPs trained on multitask sparse parity, task frequency p_k ∝ k^−(α+1)"


def _position(r, seq: str = "sequential (paper)", par: str = "parallel") -> str:
    """Where a fitted exponent's interval lies against the two learners' predictions, read off its row."""
    lo, hi = r["ci_low"], r["ci_high"]
    ps, pp = r["predicted_sequential"], r["predicted_parallel"]
    inside = [name for name, p in ((seq, ps), (par, pp)) if lo <= p <= hi]
    if inside:
        return "consistent with " + " and ".join(inside)
    if hi < min(ps, pp):
        return "below both learners' predictions"
    if lo > max(ps, pp):
        return "above both learners' predictions"
    return "between the two learners"


def _row(exponents: pd.DataFrame, a: float, axis: str, threshold: float | None = 0.5):
    e = exponents[(exponents["alpha"] == a) & (exponents["axis"] == axis)]
    if threshold is not None and "threshold" in e:
        e = e[e["threshold"] == threshold]
    return e.iloc[0] if len(e) and np.isfinite(e["fitted"].iloc[0]) else None


def _figure(ncols, nrows=1, width=5.0, height=3.8):
    return figure(ncols=ncols, nrows=nrows, width=width, height=height)


def _alphas(df):
    return sorted(df["alpha"].unique())


def fig_task_curves(task_curves: pd.DataFrame, mean_loss: pd.DataFrame | None = None):
    """Per-task held-out loss (units of ln 2) against steps, one line per task, darker = more frequent."""
    import matplotlib as mpl

    alphas = _alphas(task_curves)
    fig, axes = _figure(len(alphas), width=5.2, height=4.0)
    for ax, a in zip(axes[0], alphas):
        d = task_curves[(task_curves["alpha"] == a) & (task_curves["seed"] == task_curves["seed"].min())]
        K = int(d["task"].max())
        cmap = mpl.colormaps["viridis"]
        for k, g in d.groupby("task"):
            g = g[g["step"] > 0]
            ax.semilogx(g["step"], g["loss"] / LN2, color=cmap((k - 1) / max(K - 1, 1)), lw=1.0)
        if mean_loss is not None:
            m = mean_loss[(mean_loss["alpha"] == a) & (mean_loss["width"] == d["width"].iloc[0])
                          & (mean_loss["seed"] == d["seed"].iloc[0]) & (mean_loss["step"] > 0)]
            ax.semilogx(m["step"], m["loss"] / LN2, color=COLORS["vermillion"], ls="--", lw=2.0,
                        label="mean loss Σ p_k L_k")
            ax.legend(loc="lower left")
        for th in (0.5, 0.1):
            ax.axhline(th, color="grey", lw=0.8, ls=":")
        ax.set_ylim(-0.03, 1.25)
        ax.set_xlabel("training step (steps)")
        ax.set_ylabel("held-out loss / ln 2 (bits)")
        last = d[d["step"] == d["step"].max()]
        learned = int((last["loss"] / LN2 <= 0.5).sum())
        ax.set_title(f"α = {a:g}, width {int(d['width'].iloc[0])}: {learned} of {K} tasks below 0.5 bit "
                     f"at step {int(d['step'].max()):,}", fontsize=9.5)
        sm = mpl.cm.ScalarMappable(cmap=cmap, norm=mpl.colors.Normalize(1, K))
        fig.colorbar(sm, ax=ax, label="task rank k (1 = most frequent)")
    suptitle(fig, f"{_WHAT}: held-out loss of each task against steps (darker = more frequent)", fontsize=10.5)
    return fig


def _guide(ax, k_lo, k_hi, center_k, center_t, slope, **kw):
    ks = np.array([k_lo, k_hi], dtype=float)
    ax.loglog(ks, center_t * (ks / center_k) ** slope, **kw)


def fig_learning_times(learning_times: pd.DataFrame, exponents: pd.DataFrame):
    """t_k against k (largest width): learned tasks, censored tasks (open, at the last step), the fit and the
    sequential and parallel learners' slopes on the same window, drawn through the fit's centre."""
    alphas = _alphas(learning_times)
    fig, axes = _figure(len(alphas), width=5.2, height=4.2)
    found = []
    for ax, a in zip(axes[0], alphas):
        lt = learning_times[learning_times["alpha"] == a]
        lt = lt[lt["width"] == lt["width"].max()]
        for th, mk, col in ((0.1, "s", COLORS["grey"]), (0.5, "o", COLORS["blue"])):
            g = lt[(lt["threshold"] == th) & (lt["task"] <= 100)]
            ok = ~g["censored"].astype(bool)
            ax.loglog(g.loc[ok, "task"], g.loc[ok, "t_k"], mk, color=col, ms=4, label=f"learned, loss ≤ {th:g} ln 2")
            if th == 0.5:
                ax.loglog(g.loc[~ok, "task"], g.loc[~ok, "t_k"], "^", mfc="none", color=col, ms=4,
                          label="not learned (censored at last step)")
        e = exponents[(exponents["alpha"] == a) & (exponents["axis"] == "learning_time")
                      & (exponents["threshold"] == 0.5)]
        if len(e) and np.isfinite(e["fitted"].iloc[0]):
            r = e.iloc[0]
            g = lt[(lt["threshold"] == 0.5) & (lt["task"] <= r["window_hi"]) & ~lt["censored"].astype(bool)]
            ck = float(np.exp(np.log(g["task"]).mean()))
            ct = float(np.exp(np.log(g["t_k"]).mean()))
            lo, hi = 1, r["window_hi"]
            _guide(ax, lo, hi, ck, ct, r["fitted"], color=COLORS["blue"], lw=1.5,
                   label=f"fit: slope {fmt_interval(r['fitted'], r['ci_low'], r['ci_high'])}")
            _guide(ax, lo, hi, ck, ct, r["predicted_sequential"],
                   label=f"sequential learner (paper): {r['predicted_sequential']:.2f}", **THEORY)
            _guide(ax, lo, hi, ck, ct, r["predicted_parallel"],
                   label=f"parallel learner: {r['predicted_parallel']:.2f}", **ALTERNATIVE)
            ax.axvspan(lo, hi, color=COLORS["blue"], alpha=0.06)
            found.append(f"α = {a:g}: slope {fmt_interval(r['fitted'], r['ci_low'], r['ci_high'])}, "
                         f"{_position(r)}")
        ax.set_xlabel("task rank k (1 = most frequent)")
        ax.set_ylabel("learning step t_k (steps)")
        ax.set_title(f"α = {a:g}: asymptotes α+2 = {a + 2:g} (seq.), α+1 = {a + 1:g} (par.)", fontsize=10)
        ax.legend(fontsize=7, loc="upper left")
    suptitle(fig, f"{_WHAT}: learning time t_k ∝ k^s — " + "; ".join(found), fontsize=10.5)
    return fig


def fig_loss_steps(mean_loss: pd.DataFrame, loop: pd.DataFrame, exponents: pd.DataFrame):
    """Mean loss against steps at the largest width, with the idealized learners (loop) and the fitted slope."""
    alphas = _alphas(mean_loss)
    fig, axes = _figure(len(alphas), width=5.2, height=4.2)
    styles = {"measured order, measured times": dict(color=COLORS["orange"], ls="-."), "sequential": THEORY,
              "parallel": ALTERNATIVE, "sequential in measured order": dict(color=COLORS["purple"], ls="-.", lw=1.2)}
    found = []
    for ax, a in zip(axes[0], alphas):
        m = mean_loss[mean_loss["alpha"] == a]
        m = m[(m["width"] == m["width"].max()) & (m["step"] > 0)]
        for s, g in m.groupby("seed"):
            ax.loglog(g["step"], g["loss"], "-", color=COLORS["blue"], lw=2.0, alpha=0.85,
                      label="network" if s == m["seed"].min() else None)
        lp = loop[loop["alpha"] == a]
        for name, style in styles.items():
            col = f"loss_{name}"
            if col in lp:
                label = "idealized sequential learner (paper)" if name == "sequential" else f"idealized: {name}"
                ax.loglog(lp["step"], lp[col], label=label, **style)
        e = exponents[(exponents["alpha"] == a) & (exponents["axis"] == "steps")]
        if len(e) and np.isfinite(e["fitted"].iloc[0]):
            r = e.iloc[0]
            ax.axvspan(r["window_lo"], r["window_hi"], color="k", alpha=0.05)
            ax.set_title(f"α = {a:g}: fitted {fmt_interval(r['fitted'], r['ci_low'], r['ci_high'])}; "
                         f"seq. {r['predicted_sequential']:.2f}, par. {r['predicted_parallel']:.2f}", fontsize=9)
            found.append(f"α = {a:g}: exponent {r['fitted']:.2f}, {_position(r)}")
        ax.set_xlabel("training step (steps)")
        ax.set_ylabel("mean held-out loss Σ p_k L_k (nats)")
        ax.legend(fontsize=7, loc="lower left")
    suptitle(fig, f"{_WHAT}: mean loss against steps (shaded: fit window) — " + "; ".join(found), fontsize=10.5)
    return fig


def fig_width(width: pd.DataFrame, exponents: pd.DataFrame):
    """Final mean loss and tasks learned against parameters (every width, same step budget)."""
    fig, axes = _figure(2, width=5.0, height=4.0)
    found = []
    for i, a in enumerate(_alphas(width)):
        w = width[width["alpha"] == a].sort_values("params")
        c = CYCLE[i % len(CYCLE)]
        axes[0, 0].loglog(w["params"], w["final_loss"], "o-", color=c, label=f"α = {a:g}")
        e = exponents[(exponents["alpha"] == a) & (exponents["axis"] == "width")]
        if len(w) >= 2:
            x0, y0 = float(w["params"].iloc[0]), float(w["final_loss"].iloc[0])
            xs = np.array([x0, float(w["params"].iloc[-1])])
            axes[0, 0].loglog(xs, y0 * (xs / x0) ** (-a), "--", color=c, lw=1.4,
                              label=f"theory: slope −α = −{a:g} (Thm 3.7)")
            if len(e) and np.isfinite(e["fitted"].iloc[0]):
                r = e.iloc[0]
                axes[0, 0].plot([], [], " ", label=f"  fitted α_N = {r['fitted']:.2f}")
                fitted = fmt_interval(r["fitted"], r["ci_low"], r["ci_high"])
                found.append(f"α\u00a0=\u00a0{a:g}: fitted α_N = {fitted}")  # no line break inside "α = 0.5"
        axes[0, 1].loglog(w["params"], w["tasks_learned"].clip(lower=0.8), "o-", color=c, label=f"α = {a:g}")
        t = exponents[(exponents["alpha"] == a) & (exponents["axis"] == "tasks_vs_params")]
        if len(t) and np.isfinite(t["fitted"].iloc[0]):
            axes[0, 1].plot([], [], " ", label=f"  fitted slope {t['fitted'].iloc[0]:.2f}")
    axes[0, 0].set_xlabel("parameters N (count)")
    axes[0, 0].set_ylabel("final mean loss (nats)")
    axes[0, 0].legend(fontsize=7)
    lo, hi = float(width["params"].min()), float(width["params"].max())
    n0 = float(max(width.loc[width["params"] == lo, "tasks_learned"].max(), 1))
    axes[0, 1].loglog([lo, hi], [n0, n0 * hi / lo], label="theory: slope 1 (N = r·n)", **THEORY)
    axes[0, 1].set_xlabel("parameters N (count)")
    axes[0, 1].set_ylabel("tasks learned (loss ≤ 0.5 ln 2)")
    axes[0, 1].set_title("tasks learned: every r parameters a skill?", fontsize=10)
    axes[0, 1].legend(fontsize=7)
    # What is plotted, not a verdict: the networks are still learning at the step budget, so the verdict and that
    # caveat belong together in the report text.
    suptitle(fig, f"{_WHAT}: final loss against N after the same number of steps — " + "; ".join(found),
             fontsize=10.5)
    return fig


def fig_robustness(robustness: pd.DataFrame, seeds: pd.DataFrame):
    """Slope of log t_k in log k per variant: between-seed interval (bar), each seed (dots), and the two learners'
    predictions on the variant's window (sequential: square, parallel: diamond)."""
    fig, axes = _figure(1, width=7.5, height=0.45 * len(robustness) + 1.6)
    ax = axes[0][0]
    for i, r in enumerate(robustness.itertuples()):
        y = len(robustness) - 1 - i
        if np.isfinite(r.ci_low):
            ax.plot([r.ci_low, r.ci_high], [y, y], color=COLORS["blue"], lw=3, solid_capstyle="butt")
            ax.plot(r.slope, y, "o", color="black", ms=4)
        s = seeds[seeds["variant"] == r.variant]
        ax.plot(s["slope"], np.full(len(s), y + 0.18), ".", color="grey", ms=5)
        ax.plot(r.predicted_sequential, y, "s", mfc="none", color=THEORY["color"], ms=7)
        ax.plot(r.predicted_parallel, y, "D", mfc="none", color=ALTERNATIVE["color"], ms=6)
    ax.set_yticks(range(len(robustness)))
    ax.set_yticklabels([f"{v} (K={k})" for v, k in zip(robustness["variant"][::-1], robustness["window_hi"][::-1])])
    ax.set_xlabel("slope of log t_k against log k (bar: 95% between-seed interval; grey: each seed)")
    ax.plot([], [], "s", mfc="none", color=THEORY["color"], label="sequential learner (same T, window)")
    ax.plot([], [], "D", mfc="none", color=ALTERNATIVE["color"], label="parallel learner")
    ax.legend(loc="best", fontsize=8)
    fitted = robustness[robustness["vs_parallel"] != "no fit"]
    below = int((fitted["vs_parallel"] == "below").sum())
    seq = int((fitted["vs_sequential"] != "holds").sum())
    suptitle(fig, f"Sequential learner rejected in {seq} of {len(fitted)} fitted variants, slope below the parallel "
                  f"learner's in {below} ({_WHAT})")
    return fig


def fig_examples(examples: pd.DataFrame, robustness: pd.DataFrame, threshold: float = 0.5):
    """Examples of its own a task has seen before it is learned, p_k·t_k·B, against k, per variant (median over
    seeds of the learned tasks inside the variant's window); flat = the parallel learner's fixed need per task."""
    fig, axes = _figure(1, width=7.0, height=4.4)
    ax = axes[0][0]
    for i, r in enumerate(robustness.itertuples()):
        if not r.window_hi:
            continue
        e = examples[(examples["variant"] == r.variant) & (examples["threshold"] == threshold)
                     & (examples["task"] <= r.window_hi) & ~examples["censored"].astype(bool)]
        med = e.groupby("task")["examples"].median()
        ax.loglog(med.index, med.to_numpy(), "o-", ms=3, lw=1.2, color=CYCLE[i % len(CYCLE)],
                  label=f"{r.variant}: slope {r.examples_slope:+.2f}" if np.isfinite(r.examples_slope)
                  else f"{r.variant}: no fit")
    from matplotlib.ticker import ScalarFormatter

    ax.xaxis.set_major_formatter(ScalarFormatter())
    ax.set_xlabel("task rank k (window of each variant)")
    ax.set_ylabel("examples of task k seen before learned, p_k·t_k·B")
    ax.legend(fontsize=7, ncol=2)
    suptitle(fig, "Examples of its own a task sees before it is learned (flat: a fixed need per task, the parallel "
                  f"learner; falling: rarer tasks need fewer) ({_WHAT})")
    return fig
