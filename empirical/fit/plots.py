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

from infogeo.plotstyle import ALTERNATIVE, COLORS, CYCLE, THEORY, figure, fmt_interval, minipythia_label, suptitle, wrap
from infogeo.validation import ValidationError, ValidationTypeError

__all__ = ["plot_params", "plot_steps", "plot_steps_exponents", "plot_frontier",
           "plot_window_sensitivity", "figures", "draw_all"]

_X_LABELS = {
    "params_nonembedding": "non-embedding parameters N",
    "params_total": "total parameters N",
    "step": "optimizer step (2M tokens each)",
    "flops_6ND_nonemb": "compute C = 6·N_nonemb·D (FLOPs)",
    "flops_6ND_total": "compute C = 6·N_total·D (FLOPs)",
}
_THEORY_STYLE = {
    "theory_sequential": (THEORY, "sequential learner: α/(α+2) (the paper, Thm 3.8)"),
    "theory_parallel": (ALTERNATIVE, "parallel learner: α/(α+1)"),
}
#: On the compute frontier the same two slopes name other learners (claim thm-3.8-frontier).
_FRONTIER_STYLE = {
    "theory_sequential": (THEORY, "capacity-limited learner, any order: α/(α+2)"),
    "theory_parallel": (ALTERNATIVE, "learner without a capacity limit: α/(α+1)"),
}
_DATA = COLORS["blue"]
_FIT = COLORS["orange"]
#: What the figures call the data; another loss table (e.g. the mini-Pythia family's) passes its own. The
#: ``family`` entry names the model family in every title; left out, it is read off the tables (a mini-Pythia
#: subject such as ``minipythia-7k`` gives the mini-Pythia description with its size range).
PYTHIA_LABELS = {"loss": "LAMBADA loss", "unit": "nats/word", "step": "optimizer step (2M tokens each)",
                 "family": "Pythia (EleutherAI; published LAMBADA evaluations)"}


def _words(r) -> str:
    """A verdicts row in the words of its table (``outcome``: directional, fragile with its count)."""
    return str(r["outcome"]) if "outcome" in r and isinstance(r["outcome"], str) and r["outcome"] else str(r["verdict"])


def _labels(labels: dict | None, tables: dict | None = None) -> dict:
    out = dict(PYTHIA_LABELS)
    if tables is not None and "family" not in (labels or {}):
        mini = _minipythia_name(tables)
        if mini:
            out["family"] = mini
    out.update(labels or {})
    return out


def _minipythia_name(tables: dict) -> str | None:
    """The mini-Pythia family described with its size range, when the fits are of it; else None."""
    f = tables.get("fits")
    if f is None or not f["subject"].astype(str).str.startswith("minipythia").any():
        return None
    n = pd.to_numeric(f["model_params_nonembedding"], errors="coerce").dropna()
    return minipythia_label(n.min(), n.max()) if len(n) else minipythia_label()


def _n(sub: str) -> str:
    """``"non-embedding N"`` for the subject ``nonembedding``: how titles name a parameter count."""
    return f"{str(sub).replace('nonembedding', 'non-embedding')} N"


def _verdict_row(tables: dict, test: str, family: str, subject: str, hyp: str, alpha_source: str | None = None):
    """The verdicts row of ``test``/``family``/``subject`` whose hypothesis names ``hyp``; None when absent."""
    v = tables.get("verdicts")
    if v is None:
        return None
    sel = (v["test"] == test) & (v["family"] == family) & (v["subject"] == subject) & \
        v["hypothesis"].str.contains(hyp, regex=False)
    if alpha_source is not None:
        sel &= v["alpha_source"] == alpha_source
    r = v[sel]
    return r.iloc[0] if len(r) else None


def _against(r, name: str) -> str:
    """``"vs α/(α+2) = 0.15 (3.5×): rejected"`` from a verdicts row."""
    if r is None or not np.isfinite(r["predicted"]):
        return ""
    ratio = r["estimate"] / r["predicted"] if r["predicted"] > 0 else np.nan
    times = f" ({ratio:.1f}×)" if np.isfinite(ratio) and not 0.8 < ratio < 1.25 else ""
    return f"vs {name} = {r['predicted']:.2f}{times}: {_words(r)}"


def _alpha_note(r) -> str:
    """Why an exponent test has no verdict when the α it needs is itself not supported."""
    if r is not None and r["verdict"] == "alpha-unsupported":
        return " (α itself is not a supported power law)"
    return ""


def _y_label(labels: dict) -> str:
    return f"reducible loss L − Ê ({labels['unit']})"


def _need(tables: dict, *names: str) -> None:
    if not isinstance(tables, dict):
        raise ValidationTypeError(f"tables must be the dict returned by run_analyses, got {type(tables).__name__}")
    missing = [n for n in names if n not in tables]
    if missing:
        raise ValidationError(f"tables is missing {missing}")


def _fit_param(fits: pd.DataFrame, analysis: str, family: str, subject: str, param: str = "a"):
    r = fits[(fits["analysis"] == analysis) & (fits["family"] == family) & (fits["subject"] == subject)
             & fits["is_default"] & (fits["param"] == param)]
    if len(r) == 0:
        return np.nan, np.nan, np.nan
    r = r.iloc[0]
    return r["estimate"], r["ci_low"], r["ci_high"]


def _panel(ax, c: pd.DataFrame, *, theory: bool = True, label_data: str = "data (fitted)", styles=None):
    """Draw one curve group (rows of ``curves`` for one analysis/family/subject) as L − Ê."""
    E = float(c["E_hat"].iloc[0])
    data = c[c["kind"] == "data"]
    for inw, style in ((True, dict(color=_DATA, marker="o", ms=4, ls="none", label=label_data)),
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
        ax.fill_between(fit["x"][ok], lo[ok], hi[ok], color=_FIT, alpha=0.25, lw=0, label="95% band of the fit")
        ax.plot(fit["x"], fit["y"] - E, color=_FIT, lw=1.8, label="fit E + A·X^-a")
    if theory:
        for kind, (style, lab) in (styles or _THEORY_STYLE).items():
            t = c[c["kind"] == kind]
            if len(t):
                ax.plot(t["x"], t["y"] - E, label=lab, **style)
    ax.set_xscale("log")
    ax.set_yscale("log")


def _family_grid(c: pd.DataFrame, what: str, *, width: float, height: float):
    """One panel per parameter count (rows) and family (columns) of the curves ``c``; an empty cell is hidden.

    Returns the figure, the row subjects, and the panels as ``(row, ax, family, subject, rows of c)``."""
    fams = list(dict.fromkeys(c["family"]))
    subs = list(dict.fromkeys(c["subject"]))
    if not fams:
        raise ValidationError(f"tables['curves'] has no {what} rows")
    fig, axes = figure(ncols=len(fams), nrows=len(subs), width=width, height=height)
    panels = []
    for i, sub in enumerate(subs):
        for j, fam in enumerate(fams):
            g = c[(c["family"] == fam) & (c["subject"] == sub)]
            if len(g):
                panels.append((i, axes[i, j], fam, sub, g))
            else:
                axes[i, j].set_visible(False)
    return fig, subs, panels


def plot_params(tables: dict, labels: dict | None = None) -> Figure:
    """α_N: final-checkpoint loss against N, per family (columns) and parameter count (rows).

    Titles carry each fit's α with its interval and the verdict of the power law (table ``verdicts``)."""
    _need(tables, "curves", "fits")
    c = tables["curves"]
    fig, subs, panels = _family_grid(c[c["analysis"] == "params"], "params", width=5.0, height=3.8)
    labels = _labels(labels, tables)
    found = []
    for i, ax, fam, sub, g in panels:
        _panel(ax, g, theory=False)
        a, lo, hi = _fit_param(tables["fits"], "params", fam, sub)
        r = _verdict_row(tables, "params_power_law", fam, sub, "N^-α")
        verdict = f": {_words(r)}" if r is not None else ""
        if i == 0:
            found.append(f"{fam} α = {fmt_interval(a, lo, hi)}{verdict}")
        short = f"\npower law: {r['verdict']}" if r is not None else ""
        ax.set_title(f"{fam}, {_n(sub)}: α = {fmt_interval(a, lo, hi, 3)}{short}", fontsize=9.5)
        ax.set_xlabel(_X_LABELS.get(g["x_name"].iloc[0], g["x_name"].iloc[0]))
        ax.set_ylabel(_y_label(labels))
        ax.legend(fontsize=8)
    suptitle(fig, f"{labels['family']}: final {labels['loss']} against parameters N, L = E + A·N^-α (Theorem 3.7)\n"
                 f"{_n(subs[0])}: {'; '.join(found)}", fontsize=10.5)
    return fig


def plot_steps(tables: dict, family: str | None = None, labels: dict | None = None) -> Figure:
    """Loss against step at each fixed size with the fit and the theory's slopes (one panel per size).

    The title states the family's steps exponent (median over usable sizes) against α/(α+2) and α/(α+1)
    with the verdicts of table ``verdicts`` (α from non-embedding parameters)."""
    _need(tables, "curves", "fits")
    c = tables["curves"]
    c = c[c["analysis"] == "steps"]
    if family is not None:
        c = c[c["family"] == family]
    groups = list(dict.fromkeys(zip(c["family"], c["subject"])))
    if not groups:
        raise ValidationError("tables['curves'] has no steps rows" + (f" for family {family!r}" if family else ""))
    labels = _labels(labels, tables)
    ncol = 4
    fig, axes = figure(ncols=ncol, nrows=int(np.ceil(len(groups) / ncol)), width=4.2, height=3.3)
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
        r = _verdict_row(tables, "steps_exponent", fam, sub, "sequential", "nonembedding")
        unusable = r is not None and "usable" in r and not bool(r["usable"])
        ax.set_title(f"{sub}: a = {fmt_interval(a, lo, hi)}" + (" (fit not usable)" if unusable else ""),
                     fontsize=9)
        ax.set_xlabel(labels["step"], fontsize=8)
        ax.set_ylabel(_y_label(labels), fontsize=8)
    for ax in axes.ravel()[len(groups):]:
        ax.set_visible(False)
    axes.ravel()[0].legend(fontsize=7)
    fams = list(dict.fromkeys(f for f, _ in groups))
    suptitle(fig, f"{labels['family']}, {', '.join(fams)}: {labels['loss']} against training steps at fixed size\n"
                 + "\n".join(_steps_finding(tables, f) for f in fams), fontsize=10.5)
    return fig


def _steps_finding(tables: dict, fam: str) -> str:
    """``"steps exponent a = 0.54 (median of 6 usable sizes) vs α/(α+2) = 0.15 (3.5×): inconclusive; ..."``."""
    seq = _verdict_row(tables, "steps_exponent", fam, "all sizes", "sequential", "nonembedding")
    par = _verdict_row(tables, "steps_exponent", fam, "all sizes", "parallel", "nonembedding")
    if seq is None:
        return "theory slopes use α from the final checkpoints (non-embedding N)"
    used = ""
    m = pd.Series([str(seq.get("reason", ""))]).str.extract(r"(\d+) of (\d+) usable").iloc[0]
    if m.notna().all():
        used = f" (median, {m[0]}/{m[1]} sizes usable)"
    return (f"a = {seq['estimate']:.2f}{used} {_against(seq, 'α/(α+2)')}; {_against(par, 'α/(α+1)')}"
            + _alpha_note(seq))


def plot_steps_exponents(tables: dict, labels: dict | None = None) -> Figure:
    """Steps exponent per size with 95% intervals, beside the predicted α/(α+2) and α/(α+1) bands."""
    _need(tables, "fits", "verdicts")
    labels = _labels(labels, tables)
    f = tables["fits"]
    f = f[(f["analysis"] == "steps") & f["is_default"] & (f["param"] == "a")]
    if not len(f):
        raise ValidationError("tables['fits'] has no default steps fits")
    fams = list(dict.fromkeys(f["family"]))
    fig, axes = figure(ncols=len(fams), width=5.5, height=4.4)
    vv = tables["verdicts"]
    flag = ~vv["usable"].astype(bool)
    inconcl = set(vv.loc[(vv["test"] == "steps_exponent") & flag, "subject"])
    ymax = 0.0
    for ax, fam in zip(axes[0], fams):
        ymax = max(ymax, _exponents_panel(ax, tables, f[f["family"] == fam], fam, inconcl))
    for ax in axes[0]:
        ax.set_ylim(0, ymax)
    suptitle(fig, f"{labels['family']}: steps exponent a at fixed size (α from final checkpoints, non-embedding "
                 "N)\n" + "\n".join(f"{fam}: " + _steps_finding(tables, fam) for fam in fams), fontsize=10)
    return fig


def _exponents_panel(ax, tables: dict, g: pd.DataFrame, fam: str, inconcl: set) -> float:
    g = g.assign(N=g["model_params_nonembedding"].astype(float)).sort_values("N")
    yerr = np.vstack([g["estimate"] - g["ci_low"], g["ci_high"] - g["estimate"]]).clip(min=0)
    bad = g["subject"].isin(inconcl).to_numpy()
    for mask, mfc, lab in ((~bad, _DATA, "fitted a (95% interval)"), (bad, "white", "fit not usable (see verdicts)")):
        if mask.any():
            ax.errorbar(g["N"][mask], g["estimate"][mask], yerr=yerr[:, mask], fmt="o", color=_DATA,
                        mfc=mfc, capsize=3, label=lab)
    ymax = min(2.0, max(1.0, float(np.nanmax(g["estimate"])) * 1.1))
    for n_, e_ in zip(g["N"], g["estimate"]):
        if e_ > ymax:
            ax.annotate(f"a = {e_:.1f} ↑", (n_, ymax * 0.97), ha="center", va="top", fontsize=7)
    for hyp, style, name in (("sequential", THEORY, "sequential: α/(α+2)"),
                             ("parallel", ALTERNATIVE, "parallel: α/(α+1)")):
        r = _verdict_row(tables, "steps_exponent", fam, "all sizes", hyp, "nonembedding")
        if r is not None:
            ax.axhline(r["predicted"], label=f"{name} = {r['predicted']:.3f}", **style)
            if np.isfinite(r["pred_low"]):
                ax.axhspan(r["pred_low"], r["pred_high"], color=style["color"], alpha=0.12, lw=0)
    ax.set_xscale("log")
    ax.set_xlabel("non-embedding parameters N")
    ax.set_ylabel("steps exponent a (L = E + A·step^-a)")
    ax.set_title(f"{fam} (default window)", fontsize=10)
    ax.legend(fontsize=8)
    return ymax


def plot_frontier(tables: dict, labels: dict | None = None) -> Figure:
    """Compute frontier: every checkpoint, the lower envelope, its fit and band, and the two frontier slopes,
    each named by the learner that produces it and anchored on the fit at the envelope's geometric midpoint;
    each panel states its Ê (the loss floor subtracted) and the test's outcome."""
    _need(tables, "curves", "fits")
    c = tables["curves"]
    fig, subs, panels = _family_grid(c[c["analysis"] == "frontier"], "frontier", width=5.6, height=4.4)
    labels = _labels(labels, tables)
    for _i, ax, fam, sub, g in panels:
        E = float(g["E_hat"].iloc[0])
        ck = g[(g["kind"] == "checkpoints") & (g["y"] > E)]
        for _, m in ck.groupby("model", sort=False):
            m = m.sort_values("x")
            ax.plot(m["x"], m["y"] - E, color=COLORS["grey"], alpha=0.6, lw=0.8)
        ax.plot([], [], color=COLORS["grey"], lw=0.8, label="each size, all checkpoints")
        _panel(ax, g, label_data="frontier (lower envelope)", styles=_FRONTIER_STYLE)
        a, lo, hi = _fit_param(tables["fits"], "frontier", fam, sub)
        r = _verdict_row(tables, "frontier_exponent", fam, sub, "α/(α+2)")
        outcome = str(r["test_outcome"]) if r is not None and "test_outcome" in r else ""
        ax.set_title(wrap(f"{fam}, α from {_n(sub)}: a = {fmt_interval(a, lo, hi, 3)}, Ê = {E:.3f} "
                          f"{labels['unit']}" + (f"\n{outcome}" if outcome else "") + _alpha_note(r), 4.6, 9.0),
                     fontsize=9)
        ax.set_xlabel(_X_LABELS.get(g["x_name"].iloc[0], g["x_name"].iloc[0]))
        ax.set_ylabel(_y_label(labels))
        ax.legend(fontsize=7)
    suptitle(fig, f"{labels['family']}: the compute frontier of {labels['loss']} (lower envelope over sizes and "
                 "checkpoints) against C = 6·N·D\nα/(α+2) is the frontier of every capacity-limited learner, "
                 "sequential or parallel; α/(α+1) that of a learner without a capacity limit.\nReference slopes "
                 "are drawn through the fit at the envelope's geometric midpoint.", fontsize=10)
    return fig


def _flips(w: pd.DataFrame) -> tuple[int, int]:
    """(groups whose verdict is not robust across windows: accepted and rejected, or lost to an unusable fit;
    groups), by the rule of :func:`empirical.fit.verdicts.fragility`."""
    from .verdicts import fragility

    keys = ["test", "family", "subject", "hypothesis", "alpha_source"]
    n = 0
    groups = w.groupby(keys, sort=False)
    for _, g in groups:
        default = g.loc[g["is_default"].astype(bool), "verdict"]
        n += bool(fragility(default.iloc[0] if len(default) else "", list(g["verdict"])))
    return n, groups.ngroups


def plot_window_sensitivity(tables: dict, labels: dict | None = None) -> Figure:
    """Every fit window's exponent with its 95% interval (unusable fits hollow), beside the predictions: α_N,
    the frontier exponent, and the steps exponent of each size (one line per size, so its drift shows)."""
    _need(tables, "window_sensitivity")
    labels = _labels(labels, tables)
    w = tables["window_sensitivity"]
    w_steps = w[(w["test"] == "steps_exponent") & (w["alpha_source"] == "nonembedding")
                & w["hypothesis"].str.contains("sequential")]
    fams = list(dict.fromkeys(w_steps["family"]))
    fig, axes = figure(ncols=2 + len(fams), width=5.4, height=5.0)
    for ax, (test, title) in zip(axes[0, :2], [("params_power_law", "α_N (parameters)"),
                                               ("frontier_exponent", "frontier exponent")]):
        _window_panel(ax, w, test, title)
    for ax, fam in zip(axes[0, 2:], fams):
        _window_steps_panel(ax, w, w_steps[w_steps["family"] == fam], fam)
    k, n = _flips(w)
    suptitle(fig, f"{labels['family']}: fit-window sensitivity — {k} of {n} verdicts are fragile (accepted in some "
                 "windows, rejected in others, or lost where a window's fit is unusable)\n95% intervals; hollow: "
                 "the fit is not usable in that window; fewer bootstrap refits for non-default windows",
                 fontsize=10.5)
    return fig


def _errorbars(ax, xs, s: pd.DataFrame, **kw) -> None:
    """Estimates with 95% intervals; rows whose fit is unusable drawn hollow."""
    ok = s["usable"].astype(str).eq("True").to_numpy()
    yerr = np.nan_to_num(np.vstack([s["estimate"] - s["ci_low"], s["ci_high"] - s["estimate"]]).clip(min=0))
    label = kw.pop("label", None)
    color = kw.pop("color", None)
    for mask, hollow in ((ok, False), (~ok, True)):
        if mask.any():
            line = ax.errorbar(np.asarray(xs)[mask], s["estimate"].to_numpy()[mask], yerr=yerr[:, mask], fmt="o",
                               capsize=2, color=color, mfc="white" if hollow else color, label=label, **kw)
            color = line[0].get_color()
            label = None


def _window_panel(ax, w: pd.DataFrame, test: str, title: str) -> None:
    g = w[(w["test"] == test)]
    if test == "frontier_exponent":
        g = g[g["hypothesis"].str.contains("α/(α+2)", regex=False)]
    keys = list(dict.fromkeys(zip(g["family"], g["subject"])))
    wins = list(dict.fromkeys(g["window"]))
    for k, (fam, sub) in enumerate(keys):
        s = g[(g["family"] == fam) & (g["subject"] == sub)]
        xs = np.array([wins.index(x) for x in s["window"]]) + (k - (len(keys) - 1) / 2) * 0.12
        _errorbars(ax, xs, s, label=f"{fam}, {_n(sub)}")
        if test == "frontier_exponent":
            ax.plot(xs, s["predicted"], "_", color=THEORY["color"], ms=12, mew=2)
    if test == "frontier_exponent":
        ax.plot([], [], "_", color=THEORY["color"], ms=12, mew=2, label="capacity-limited: α/(α+2) for that α")
    ax.plot([], [], "o", color="0.4", mfc="white", label="fit not usable in that window")
    ax.set_xticks(range(len(wins)))
    ax.set_xticklabels(wins, rotation=25, ha="right", fontsize=7)
    ax.set_xlabel("fit window")
    ax.set_ylabel("exponent (dimensionless)")
    ax.set_title(title)
    ax.legend(fontsize=7)


def _window_steps_panel(ax, w: pd.DataFrame, s: pd.DataFrame, fam: str) -> None:
    """One family's steps exponents: each size's windows joined by a line (the drift), with intervals."""
    wins = list(dict.fromkeys(w.loc[w["test"] == "steps_exponent", "window"]))
    sizes = list(dict.fromkeys(s["subject"]))
    cmap = CYCLE
    for k, sub in enumerate(sizes):
        g = s[s["subject"] == sub]
        xs = np.array([wins.index(x) for x in g["window"]]) + (k - (len(sizes) - 1) / 2) * 0.07
        color = cmap[k % len(cmap)]
        ax.plot(xs, g["estimate"].clip(upper=2), "-", color=color, lw=0.8, alpha=0.6)
        _errorbars(ax, xs, g.assign(estimate=g["estimate"].clip(upper=2)), color=color, ms=3,
                   label=str(sub).replace("pythia-", ""))
    pred = float(s["predicted"].iloc[0]) if len(s) else np.nan
    ax.axhline(pred, label=f"sequential: α/(α+2) = {pred:.3f}", **THEORY)
    par = w[(w["test"] == "steps_exponent") & (w["alpha_source"] == "nonembedding") & (w["family"] == fam)
            & w["hypothesis"].str.contains("parallel")]
    if len(par):
        ax.axhline(float(par["predicted"].iloc[0]), label=f"parallel: α/(α+1) = {float(par['predicted'].iloc[0]):.3f}",
                   **ALTERNATIVE)
    ax.set_xticks(range(len(wins)))
    ax.set_xticklabels(wins, rotation=25, ha="right", fontsize=7)
    ax.set_ylim(0, 2)
    ax.set_xlabel("fit window")
    ax.set_ylabel("steps exponent a (clipped at 2)")
    ax.set_title(f"steps exponent at fixed size, {fam}")
    ax.legend(fontsize=6, ncol=3, loc="upper right")


def figures(tables: dict, labels: dict | None = None) -> dict[str, Figure]:
    """Every figure by file stem: fit_params, fit_steps_<family>, fit_steps_exponents, fit_frontier and, when
    the tables hold window refits, fit_window_sensitivity."""
    out = {"fit_params": plot_params(tables, labels=labels)}
    for fam in dict.fromkeys(tables["curves"].loc[tables["curves"]["analysis"] == "steps", "family"]):
        out[f"fit_steps_{fam}"] = plot_steps(tables, family=fam, labels=labels)
    out["fit_steps_exponents"] = plot_steps_exponents(tables, labels=labels)
    out["fit_frontier"] = plot_frontier(tables, labels=labels)
    if "window_sensitivity" in tables and len(tables["window_sensitivity"]):
        out["fit_window_sensitivity"] = plot_window_sensitivity(tables, labels=labels)
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
