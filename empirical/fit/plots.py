"""Section 3 (Theorems 3.7, 3.8) figures: fitted Pythia scaling laws beside the theory's slopes.

Every function takes the tables of :func:`empirical.fit.analyses.run_analyses`
(only those, never raw data) and returns a ``matplotlib.figure.Figure`` built
without pyplot; :func:`figures` gives all of them by file stem and
:func:`draw_all` saves them as the report does. Power laws are drawn as the reducible loss
L − Ê on log-log axes, where L = E + A·X^-a is a straight line of slope −a and
the theory's predicted slopes can be compared by eye.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

__all__ = ["plot_params", "plot_steps", "plot_steps_exponents", "plot_frontier",
           "plot_window_sensitivity", "figures", "draw_all"]

_X_LABELS = {
    "params_nonembedding": "non-embedding parameters N",
    "params_total": "total parameters N",
    "step": "optimizer step (2M tokens each)",
    "flops_6ND_nonemb": "compute C = 6·N_nonemb·D (FLOP)",
    "flops_6ND_total": "compute C = 6·N_total·D (FLOP)",
}
_THEORY_STYLE = {
    "theory_sequential": ("tab:red", "--", "theory α/(α+2)"),
    "theory_parallel": ("tab:green", ":", "theory α/(α+1)"),
}
#: What the figures call the data; another loss table (e.g. the mini-Pythia family's) passes its own.
PYTHIA_LABELS = {"loss": "LAMBADA loss", "unit": "nats/word", "step": "optimizer step (2M tokens each)"}


def _labels(labels: dict | None) -> dict:
    out = dict(PYTHIA_LABELS)
    out.update(labels or {})
    return out


def _y_label(labels: dict) -> str:
    return f"reducible loss L − Ê ({labels['unit']})"


def _need(tables: dict, *names: str) -> None:
    if not isinstance(tables, dict):
        raise TypeError(f"tables must be the dict returned by run_analyses, got {type(tables).__name__}")
    missing = [n for n in names if n not in tables]
    if missing:
        raise ValueError(f"tables is missing {missing}")


def _fit_param(fits: pd.DataFrame, analysis: str, family: str, subject: str, param: str = "a"):
    r = fits[(fits["analysis"] == analysis) & (fits["family"] == family) & (fits["subject"] == subject)
             & fits["is_default"] & (fits["param"] == param)]
    if len(r) == 0:
        return np.nan, np.nan, np.nan
    r = r.iloc[0]
    return r["estimate"], r["ci_low"], r["ci_high"]


def _panel(ax, c: pd.DataFrame, *, theory: bool = True, label_data: str = "data (fitted)"):
    """Draw one curve group (rows of ``curves`` for one analysis/family/subject) as L − Ê."""
    E = float(c["E_hat"].iloc[0])
    data = c[c["kind"] == "data"]
    for inw, style in ((True, dict(color="k", marker="o", ms=4, ls="none", label=label_data)),
                       (False, dict(color="0.6", marker="o", ms=3, ls="none", mfc="none",
                                    label="data (outside window)"))):
        d = data[data["in_window"] == inw]
        d = d[d["y"] > E]
        if len(d):
            ax.plot(d["x"], d["y"] - E, **style)
    fit = c[c["kind"] == "fit"]
    if len(fit):
        lo, hi = fit["y_low"] - E, fit["y_high"] - E
        ok = (lo > 0) & (hi > 0)
        ax.fill_between(fit["x"][ok], lo[ok], hi[ok], color="tab:blue", alpha=0.2, lw=0, label="95% band")
        ax.plot(fit["x"], fit["y"] - E, color="tab:blue", lw=1.8, label="fit E + A·X^-a")
    if theory:
        for kind, (color, ls, lab) in _THEORY_STYLE.items():
            t = c[c["kind"] == kind]
            if len(t):
                ax.plot(t["x"], t["y"] - E, color=color, ls=ls, lw=1.5, label=lab)
    ax.set_xscale("log")
    ax.set_yscale("log")


def plot_params(tables: dict, labels: dict | None = None) -> Figure:
    """α_N: final-checkpoint loss against N, per family (columns) and parameter count (rows)."""
    _need(tables, "curves", "fits")
    c = tables["curves"]
    c = c[c["analysis"] == "params"]
    fams = list(dict.fromkeys(c["family"]))
    subs = list(dict.fromkeys(c["subject"]))
    if not fams:
        raise ValueError("tables['curves'] has no params rows")
    labels = _labels(labels)
    fig = Figure(figsize=(5 * len(fams), 3.8 * len(subs)))
    axes = fig.subplots(len(subs), len(fams), squeeze=False)
    for i, sub in enumerate(subs):
        for j, fam in enumerate(fams):
            ax = axes[i, j]
            g = c[(c["family"] == fam) & (c["subject"] == sub)]
            if not len(g):
                ax.set_visible(False)
                continue
            _panel(ax, g, theory=False)
            a, lo, hi = _fit_param(tables["fits"], "params", fam, sub)
            E = float(g["E_hat"].iloc[0])
            ax.set_title(f"{fam}: α = {a:.3f} [{lo:.3f}, {hi:.3f}], Ê = {E:.2f}", fontsize=10)
            ax.set_xlabel(_X_LABELS.get(g["x_name"].iloc[0], g["x_name"].iloc[0]))
            ax.set_ylabel(_y_label(labels))
            ax.legend(fontsize=8)
    fig.suptitle(f"Theorem 3.7: final-checkpoint {labels['loss']}\nvs parameters (L = E + A·N^-α)")
    fig.tight_layout()
    return fig


def plot_steps(tables: dict, family: str | None = None, labels: dict | None = None) -> Figure:
    """Loss against step at each fixed size with the fit and the theory's slopes (one panel per size)."""
    _need(tables, "curves", "fits")
    c = tables["curves"]
    c = c[c["analysis"] == "steps"]
    if family is not None:
        c = c[c["family"] == family]
    groups = list(dict.fromkeys(zip(c["family"], c["subject"])))
    if not groups:
        raise ValueError("tables['curves'] has no steps rows" + (f" for family {family!r}" if family else ""))
    labels = _labels(labels)
    ncol = 4
    nrow = int(np.ceil(len(groups) / ncol))
    fig = Figure(figsize=(4.2 * ncol, 3.3 * nrow))
    axes = fig.subplots(nrow, ncol, squeeze=False)
    for ax, (fam, sub) in zip(axes.ravel(), groups):
        g = c[(c["family"] == fam) & (c["subject"] == sub)]
        _panel(ax, g)
        a, lo, hi = _fit_param(tables["fits"], "steps", fam, sub)
        # warmup checkpoints (steps 1..512) would squeeze the fitted range into a corner
        xin = g.loc[(g["kind"] == "data") & g["in_window"], "x"]
        ax.set_xlim(xin.min() / 4, xin.max() * 1.5)
        E = float(g["E_hat"].iloc[0])
        red = g.loc[(g["kind"] == "data") & g["in_window"], "y"] - E
        red = red[red > 0]
        if len(red):
            ax.set_ylim(red.min() / 3, red.max() * 3)
        ax.set_title(f"{sub}: a = {a:.2f} [{lo:.2f}, {hi:.2f}]", fontsize=9)
        ax.set_xlabel(labels["step"], fontsize=8)
        ax.set_ylabel(_y_label(labels), fontsize=8)
    for ax in axes.ravel()[len(groups):]:
        ax.set_visible(False)
    axes.ravel()[0].legend(fontsize=7)
    fig.suptitle("Loss vs training step at fixed size; theory slopes use α from N (non-embedding)")
    fig.tight_layout()
    return fig


def plot_steps_exponents(tables: dict) -> Figure:
    """Steps exponent per size with 95% intervals, beside the predicted α/(α+2) and α/(α+1) bands."""
    _need(tables, "fits", "verdicts")
    f = tables["fits"]
    f = f[(f["analysis"] == "steps") & f["is_default"] & (f["param"] == "a")]
    v = tables["verdicts"]
    v = v[(v["test"] == "steps_exponent") & (v["alpha_source"] == "nonembedding") & (v["subject"] == "all sizes")]
    if not len(f):
        raise ValueError("tables['fits'] has no default steps fits")
    fams = list(dict.fromkeys(f["family"]))
    fig = Figure(figsize=(5.5 * len(fams), 4.2))
    axes = fig.subplots(1, len(fams), squeeze=False, sharey=True)
    for ax, fam in zip(axes[0], fams):
        g = f[f["family"] == fam].copy()
        g["N"] = g["model_params_nonembedding"].astype(float)
        g = g.sort_values("N")
        yerr = np.vstack([g["estimate"] - g["ci_low"], g["ci_high"] - g["estimate"]]).clip(min=0)
        vv = tables["verdicts"]
        flag = ~vv["usable"].astype(bool) if "usable" in vv else vv["verdict"] == "inconclusive"
        inconcl = set(vv.loc[(vv["test"] == "steps_exponent") & flag, "subject"])
        bad = g["subject"].isin(inconcl).to_numpy()
        for mask, mfc, lab in ((~bad, "k", "fitted a (95% CI)"), (bad, "white", "fit not usable (see verdicts)")):
            if mask.any():
                ax.errorbar(g["N"][mask], g["estimate"][mask], yerr=yerr[:, mask], fmt="o", color="k",
                            mfc=mfc, capsize=3, label=lab)
        ymax = min(2.0, max(1.0, float(np.nanmax(g["estimate"])) * 1.1))
        for n_, e_ in zip(g["N"], g["estimate"]):
            if e_ > ymax:
                ax.annotate(f"a = {e_:.1f} ↑", (n_, ymax * 0.97), ha="center", va="top", fontsize=7)
        for hyp, color, ls in (("sequential", "tab:red", "--"), ("parallel", "tab:green", ":")):
            r = v[(v["family"] == fam) & v["hypothesis"].str.contains(hyp)]
            if len(r):
                r = r.iloc[0]
                ax.axhline(r["predicted"], color=color, ls=ls,
                           label=f"α/(α+{2 if hyp == 'sequential' else 1}) = {r['predicted']:.3f} ({hyp})")
                if np.isfinite(r["pred_low"]):
                    ax.axhspan(r["pred_low"], r["pred_high"], color=color, alpha=0.15, lw=0)
        ax.set_xscale("log")
        ax.set_ylim(0, ymax)
        ax.set_xlabel("non-embedding parameters N")
        ax.set_ylabel("steps exponent a (L = E + A·step^-a)")
        ax.set_title(f"{fam} (window from 2% of training)")
        ax.legend(fontsize=8)
    fig.suptitle("Exponent in steps at fixed size vs the theory (α from final checkpoints)")
    fig.tight_layout()
    return fig


def plot_frontier(tables: dict, labels: dict | None = None) -> Figure:
    """Compute frontier: every checkpoint, the lower envelope, its fit and band, and the theory slopes."""
    _need(tables, "curves", "fits")
    c = tables["curves"]
    c = c[c["analysis"] == "frontier"]
    labels = _labels(labels)
    groups = list(dict.fromkeys(zip(c["family"], c["subject"])))
    if not groups:
        raise ValueError("tables['curves'] has no frontier rows")
    fams = list(dict.fromkeys(g[0] for g in groups))
    subs = list(dict.fromkeys(g[1] for g in groups))
    fig = Figure(figsize=(5.5 * len(fams), 4.2 * len(subs)))
    axes = fig.subplots(len(subs), len(fams), squeeze=False)
    for i, sub in enumerate(subs):
        for j, fam in enumerate(fams):
            ax = axes[i, j]
            g = c[(c["family"] == fam) & (c["subject"] == sub)]
            E = float(g["E_hat"].iloc[0])
            ck = g[(g["kind"] == "checkpoints") & (g["y"] > E)]
            for _, m in ck.groupby("model", sort=False):
                m = m.sort_values("x")
                ax.plot(m["x"], m["y"] - E, color="0.75", lw=0.8)
            ax.plot([], [], color="0.75", lw=0.8, label="each size, all checkpoints")
            _panel(ax, g, label_data="frontier (lower envelope)")
            a, lo, hi = _fit_param(tables["fits"], "frontier", fam, sub)
            ax.set_title(f"{fam}, N {sub}: a = {a:.3f} [{lo:.3f}, {hi:.3f}]", fontsize=10)
            ax.set_xlabel(_X_LABELS.get(g["x_name"].iloc[0], g["x_name"].iloc[0]))
            ax.set_ylabel(_y_label(labels))
            ax.legend(fontsize=7)
    fig.suptitle("Compute frontier vs the theory: α/(α+2) (frontier / Theorem 3.8) and α/(α+1)")
    fig.tight_layout()
    return fig


def plot_window_sensitivity(tables: dict) -> Figure:
    """Each exponent per fit window, with its interval and the predicted values."""
    _need(tables, "window_sensitivity")
    w = tables["window_sensitivity"]
    panels = [("params_power_law", "α_N (params)"), ("frontier_exponent", "frontier exponent")]
    w_steps = w[(w["test"] == "steps_exponent") & (w["alpha_source"] == "nonembedding")
                & w["hypothesis"].str.contains("sequential")]
    fig = Figure(figsize=(17, 4.8))
    axes = fig.subplots(1, 3)
    for ax, (test, title) in zip(axes[:2], panels):
        g = w[(w["test"] == test)]
        if test == "frontier_exponent":
            g = g[g["hypothesis"].str.contains("frontier")]
        keys = list(dict.fromkeys(zip(g["family"], g["subject"])))
        wins = list(dict.fromkeys(g["window"]))
        for k, (fam, sub) in enumerate(keys):
            s = g[(g["family"] == fam) & (g["subject"] == sub)]
            xs = np.array([wins.index(x) for x in s["window"]]) + (k - (len(keys) - 1) / 2) * 0.12
            yerr = np.vstack([s["estimate"] - s["ci_low"], s["ci_high"] - s["estimate"]]).clip(min=0)
            ax.errorbar(xs, s["estimate"], yerr=np.nan_to_num(yerr), fmt="o", capsize=2, label=f"{fam}, {sub}")
            if test == "frontier_exponent":
                ax.plot(xs, s["predicted"], "x", color="tab:red", ms=6)
        if test == "frontier_exponent":
            ax.plot([], [], "x", color="tab:red", label="predicted α/(α+2)")
        ax.set_xticks(range(len(wins)))
        ax.set_xticklabels(wins, rotation=25, ha="right", fontsize=7)
        ax.set_ylabel("exponent")
        ax.set_title(title)
        ax.legend(fontsize=7)
    ax = axes[2]
    wins = list(dict.fromkeys(w_steps["window"]))
    for fam, marker in (("standard", "o"), ("deduped", "s")):
        s = w_steps[w_steps["family"] == fam]
        if not len(s):
            continue
        for wi, win in enumerate(wins):
            sw = s[s["window"] == win]
            ax.plot(np.full(len(sw), wi) + (0.1 if fam == "deduped" else -0.1), sw["estimate"], marker,
                    ms=4, alpha=0.7, color="k" if fam == "standard" else "tab:blue",
                    label=f"{fam} (one point per size)" if wi == 0 else None)
        pred = float(s["predicted"].iloc[0])
        ax.axhline(pred, color="tab:red", ls="--", lw=1,
                   label=f"α/(α+2) {fam} = {pred:.3f}" if fam == "standard" else None)
    par = w[(w["test"] == "steps_exponent") & (w["alpha_source"] == "nonembedding")
            & w["hypothesis"].str.contains("parallel")]
    if len(par):
        ax.axhline(float(par["predicted"].iloc[0]), color="tab:green", ls=":", lw=1,
                   label=f"α/(α+1) = {float(par['predicted'].iloc[0]):.3f}")
    ax.set_xticks(range(len(wins)))
    ax.set_xticklabels(wins, rotation=25, ha="right", fontsize=7)
    ax.set_ylim(0, 2)
    ax.set_ylabel("steps exponent a (clipped at 2)")
    ax.set_title("steps exponent at fixed size")
    ax.legend(fontsize=7)
    fig.suptitle("Fit-window sensitivity (95% intervals; fewer bootstrap refits for non-default windows)")
    fig.tight_layout()
    return fig


def figures(tables: dict, labels: dict | None = None) -> dict[str, Figure]:
    """Every figure by file stem: fit_params, fit_steps_<family>, fit_steps_exponents, fit_frontier and, when
    the tables hold window refits, fit_window_sensitivity."""
    out = {"fit_params": plot_params(tables, labels=labels)}
    for fam in dict.fromkeys(tables["curves"].loc[tables["curves"]["analysis"] == "steps", "family"]):
        out[f"fit_steps_{fam}"] = plot_steps(tables, family=fam, labels=labels)
    out["fit_steps_exponents"] = plot_steps_exponents(tables)
    out["fit_frontier"] = plot_frontier(tables, labels=labels)
    if "window_sensitivity" in tables and len(tables["window_sensitivity"]):
        out["fit_window_sensitivity"] = plot_window_sensitivity(tables)
    return out


def draw_all(tables: dict, out_dir, labels: dict | None = None) -> list[Path]:
    """Save :func:`figures` as ``out_dir/<stem>.png`` as the report does (the shared style's dpi, no
    software or date metadata, so the same tables give the same bytes); return the paths."""
    import matplotlib as mpl

    from infogeo.plotstyle import RC

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for stem, fig in figures(tables, labels).items():
        with mpl.rc_context(RC):
            fig.savefig(out / f"{stem}.png", metadata={"Software": None})
        paths.append(out / f"{stem}.png")
    return paths
