"""Sections 3-4: the registry of measurements. One :class:`Measurement` spec per measurement, in this one file.

A spec says everything the rest of the package needs to know about a measurement:

``name``
    what ``--measurements`` and :class:`~empirical.measure.config.MeasureConfig` call it.
``scope``
    ``"text"``: computed on each text's token matrix of each layer (sharded with the texts); ``"model"``:
    computed once per model on the paper's own prompts (shard 0 only).
``tables``
    the CSV tables it writes (:class:`TableSpec`: name, sort keys, and for a text measurement its columns), so
    merged tables do not depend on the order shards ran and duplicate rows are found.
``compute``
    text scope: ``compute(Z, config) -> DataFrame`` (rows of one text at one layer; the engine puts ``text_id``
    and ``layer`` in front); model scope: ``compute(run) -> {table: DataFrame}`` with a :class:`ModelRun`.
``report``, ``report_names``, ``plot``, ``figure``, ``caption``, ``shown``
    how the report's section lays it out: ``report(tables, params)`` turns the engine tables (text scope: every
    model's rows; model scope: the largest model's) into the report's tables named ``report_names`` (default:
    each table as ``measure_<table>``; names starting with ``_`` feed a figure but are not written);
    ``plot(tabs, family)`` draws the figure saved as ``figure`` with ``caption`` (None: no figure for this run);
    ``shown`` lists (table, caption, options of the report's ``Table`` block) laid out as tables. Captions are
    ``str.format`` templates with ``n_texts``, ``max_tokens``, ``model`` and ``tables`` (report table name -> its
    CSV path in the report).

The engine (:mod:`~empirical.measure.engine`), the merge (:mod:`~empirical.measure.jobs`), the CLI and the report's
section read :data:`REGISTRY`; adding a measurement is one more spec here (docs/measure.md has a worked example).
"""
from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from infogeo.validation import ValidationError

from . import metrics as M
from .prompts import CAPITALS_SENTENCE, PROTOCOL_TOKENS, embedding_sentences

log = logging.getLogger("empirical.measure")

__all__ = ["TableSpec", "Measurement", "ModelRun", "REGISTRY", "MEASUREMENTS", "TEXT_MEASUREMENTS", "table_keys",
           "find_token_position", "lasso_picks"]

#: Every table starts with these columns (the engine adds them).
COMMON_KEYS = ("model", "revision")


@dataclass(frozen=True)
class TableSpec:
    """One CSV table: its name, its sort keys (unique per row) and, for a text measurement, its columns."""

    name: str
    keys: tuple[str, ...]
    columns: tuple[str, ...] = ()


@dataclass(frozen=True)
class Measurement:
    """One measurement: what it is called, what it is computed on, what it writes and how the report shows it."""

    name: str
    scope: str
    tables: tuple[TableSpec, ...]
    compute: Callable
    report: Callable | None = None
    plot: Callable | None = None
    figure: str | None = None
    caption: str = ""
    shown: tuple[tuple[str, str], ...] = ()
    report_names: tuple[str, ...] = ()
    attentions: bool = False
    doc: str = field(default="", compare=False)

    def __post_init__(self):
        if self.scope not in ("text", "model"):
            raise ValueError(f"Measurement {self.name!r}: scope must be 'text' or 'model', got {self.scope!r}")
        if self.scope == "text" and (len(self.tables) != 1 or not self.tables[0].columns):
            raise ValueError(f"Measurement {self.name!r}: a text measurement writes one table with its columns")
        if not self.report_names:
            object.__setattr__(self, "report_names", tuple(f"measure_{t.name}" for t in self.tables))

    def report_tables(self, tables: dict[str, pd.DataFrame], params: dict | None) -> dict[str, pd.DataFrame]:
        """The report's tables of this measurement (default: each engine table as ``measure_<table>``)."""
        out = self.report(tables, params) if self.report else {f"measure_{t}": df for t, df in tables.items()}
        if tuple(out) != self.report_names:
            raise ValueError(f"Measurement {self.name!r}: report gave {list(out)}, report_names says "
                             f"{list(self.report_names)}")
        return out


class ModelRun:
    """What a model-scope ``compute`` gets: the loaded model, the resolved layers, the config, the forward pass."""

    def __init__(self, lm, layers: list[int], config, *, forward, progress: bool):
        self.lm, self.layers, self.config, self.forward, self.progress = lm, layers, config, forward, progress

    @cached_property
    def sentences(self) -> tuple[list[dict], list[dict]]:
        """The paper's king/queen/country sentences and their hidden states (one forward pass, shared)."""
        sents = embedding_sentences()
        ids = [self.lm.tokenizer(s["sentence"])["input_ids"] for s in sents]
        return sents, list(self.forward(self.lm, ids, self.layers))

    def bar(self, total: int, desc: str, unit: str):
        from tqdm.auto import tqdm

        return tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, mininterval=1.0, disable=not self.progress)


# ---------------------------------------------------------------------------------------------- entropy (Section 3)
def _entropy(Z: np.ndarray, config) -> pd.DataFrame:
    return pd.DataFrame([{**M.entropy_measures(Z, config.eps), "eps": config.eps}])


def _last_layer(df: pd.DataFrame) -> pd.DataFrame:
    """Each model's last hidden layer (models of different depth), relabelled layer -1."""
    out = df[df["layer"] == df.groupby("model")["layer"].transform("max")].copy()
    out["layer"] = -1
    return out


def _entropy_figure(tabs: dict, family):
    if "minipythia_losses" not in tabs:
        return None
    from .plots import plot_entropy_vs_size

    return plot_entropy_vs_size(tabs["measure_entropy"], tabs["minipythia_losses"])


# ----------------------------------------------------------------------------------- information gain (Section 4.1)
def _infogain(Z: np.ndarray, config) -> pd.DataFrame:
    c = M.info_gain_curve(Z, config.sigma)
    return pd.DataFrame({"t": c["t"], "sigma": config.sigma, "info_gain": c["info_gain"],
                         "increment": c["increment"], "info_gain_normalized": c["info_gain_normalized"]})


def _infogain_report(tables: dict, params: dict | None) -> dict[str, pd.DataFrame]:
    """``_infogain``: the per-token rows of each model's last layer (in order of size when ``params`` gives sizes),
    the figure's input; ``measure_infogain_mean``: their mean over texts."""
    ig = _last_layer(tables["infogain"])
    if params:
        ig = ig.sort_values("model", key=lambda m: m.map(params), kind="stable")
    mean = (ig.groupby(["model", "revision", "layer", "t"], sort=True)
              .agg(info_gain=("info_gain", "mean"), increment=("increment", "mean"),
                   info_gain_normalized=("info_gain_normalized", "mean"), n_texts=("text_id", "nunique"))
              .reset_index())
    return {"_infogain": ig, "measure_infogain_mean": mean}


def _infogain_figure(tabs: dict, family):
    from .plots import plot_infogain

    return plot_infogain(tabs["_infogain"], family=family)


# ------------------------------------------------------------------------------------ Lasso vs attention (4.2)
def find_token_position(lm, ids: list[int], target: str) -> int:
    """Position of the LAST token that completes an occurrence of ``target`` in the decoded sequence.

    Exact single-token matches (after stripping spaces) win; otherwise, for a
    word split into pieces, the piece at which the decoded prefix first ends
    with ``target``.
    """
    strings = [s.strip() for s in lm.token_strings(ids)]
    exact = [i for i, s in enumerate(strings) if s == target]
    if exact:
        return exact[-1]
    hits = []
    for i in range(len(ids)):
        prefix = lm.tokenizer.decode(ids[: i + 1]).rstrip()
        before = lm.tokenizer.decode(ids[:i]).rstrip() if i else ""
        if prefix.endswith(target) and not before.endswith(target):
            hits.append(i)
    if not hits:
        raise ValidationError(f"target token {target!r} not found in the tokenized protocol sentence")
    return hits[-1]


#: The Lasso sweep's penalties, as fractions of λ_max (the smallest λ at which every coefficient is 0).
LASSO_RATIOS = (1e-4, 1e-3, 1e-2, 0.03, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9)


def chance_overlap(n_tokens: int, n_a: int, n_b: int, overlap: int) -> tuple[float, float]:
    """Expected overlap of two selections of ``n_a`` and ``n_b`` of ``n_tokens`` context tokens drawn at random
    (hypergeometric mean ``n_a n_b / n_tokens``) and the one-sided p-value P(overlap >= observed) under it."""
    from scipy.stats import hypergeom

    if n_tokens < 1 or not n_a or not n_b:
        return 0.0, 1.0
    return n_a * n_b / n_tokens, float(hypergeom.sf(overlap - 1, n_tokens, n_a, n_b))


def _lasso_target(lm, Z, A, ids, tokens, target, layer, cfg) -> tuple[list[dict], list[dict]]:
    """Rows of the lasso table (one per context token) and of the sweep (one per λ) for one target and layer."""
    j = find_token_position(lm, ids, target)
    if j == 0:
        raise ValidationError(f"target {target!r} is the first token; it has no context to select from")
    beta, converged = M.lasso_fit(Z[:j], Z[j], cfg.lasso_lambda)
    if not converged:
        log.warning("lasso for [%s] at layer %d did not converge (T=%d context tokens, d=%d)",
                    target, layer, j, Z.shape[1])
    alpha = M.lasso_alpha_from_lambda(cfg.lasso_lambda, Z.shape[1])
    sel_att = set(M.select_tokens(A[j, :j], cfg.threshold).tolist())
    sel_las = set(M.select_tokens(beta, cfg.threshold).tolist())
    rows = [{"layer": layer, "target": target, "target_position": j, "position": p, "token": tokens[p],
             "attention": float(A[j, p]), "lasso_coef": float(beta[p]),
             "selected_attention": p in sel_att, "selected_lasso": p in sel_las,
             "target_self_attention": float(A[j, j]), "lasso_converged": converged,
             "lasso_lambda": cfg.lasso_lambda, "sklearn_alpha": alpha, "threshold": cfg.threshold}
            for p in range(j)]
    lam_max = M.lasso_lambda_max(Z[:j], Z[j])
    sweep = []
    for ratio, lam in [(cfg.lasso_lambda / lam_max, cfg.lasso_lambda), *((r, r * lam_max) for r in LASSO_RATIOS)]:
        b, ok = (beta, converged) if lam == cfg.lasso_lambda else M.lasso_fit(Z[:j], Z[j], lam)
        picks = set(M.select_tokens(b, cfg.threshold).tolist())
        both = len(picks & sel_att)
        expected, p_value = chance_overlap(j, len(sel_att), len(picks), both)
        sweep.append({"layer": layer, "target": target, "lambda": lam, "lambda_ratio": ratio,
                      "lambda_max": lam_max, "paper_lambda": lam == cfg.lasso_lambda, "n_context": j,
                      "n_nonzero": int(np.count_nonzero(b)), "n_lasso": len(picks), "n_attention": len(sel_att),
                      "n_both": both, "chance_both": expected, "p_overlap": p_value, "converged": ok})
    return rows, sweep


def _lasso(run: ModelRun) -> dict[str, pd.DataFrame]:
    lm = run.lm
    attn_layers = [k for k in run.layers if k >= 1]
    if not attn_layers:
        raise ValidationError("lasso needs a layer >= 1 (layer 0 is the embedding output and has no attention)")
    if len(attn_layers) < len(run.layers):
        log.info("lasso: skipping layer 0 (no attention weights)")
    ids = lm.tokenizer(CAPITALS_SENTENCE)["input_ids"]
    rec = next(run.forward(lm, [ids], attn_layers, attentions=True))
    tokens = lm.token_strings(ids)
    rows, sweep = [], []
    for k in attn_layers:
        for target in PROTOCOL_TOKENS:
            r, s = _lasso_target(lm, rec["states"][k], rec["attention"][k], ids, tokens, target, k, run.config)
            rows += r
            sweep += s
    return {"lasso": pd.DataFrame(rows), "lasso_sweep": pd.DataFrame(sweep)}


def lasso_picks(df: pd.DataFrame, show: int = 12) -> pd.DataFrame:
    """One row per target token of the last layer: the tokens head-averaged attention picks and those Lasso picks,
    how many both pick, and what two random selections of those sizes would share (hypergeometric)."""
    last = df[df["layer"] == df["layer"].max()]
    rows = []
    for target, g in last.groupby("target", sort=False):
        att = g[g["selected_attention"].astype(bool)].sort_values("attention", ascending=False)
        las = g[g["selected_lasso"].astype(bool)].sort_values("lasso_coef", ascending=False)
        both = len(set(att["position"]) & set(las["position"]))
        expected, p_value = chance_overlap(len(g), len(att), len(las), both)
        rows.append({"target": f"[{target}]", "layer": int(g["layer"].iloc[0]),
                     "attention_picks": " ".join(f"[{t}]" for t in att["token"].head(show)),
                     "n_attention": len(att),
                     "lasso_picks": " ".join(f"[{t}]" for t in las["token"].head(show)), "n_lasso": len(las),
                     "n_both": both, "chance_both": expected, "p_overlap": p_value,
                     "lasso_converged": bool(g["lasso_converged"].all())})
    return pd.DataFrame(rows)


def _lasso_report(tables: dict, params) -> dict[str, pd.DataFrame]:
    sweep = tables["lasso_sweep"]
    sweep = sweep[sweep["layer"] == sweep["layer"].max()]
    picks = lasso_picks(tables["lasso"])
    at_paper = sweep[sweep["paper_lambda"].astype(bool)].set_index("target")["lambda_ratio"]
    picks.insert(2, "paper_lambda_over_max", picks["target"].str.strip("[]").map(at_paper))
    return {"measure_lasso": tables["lasso"], "measure_lasso_picks": picks, "measure_lasso_sweep": sweep}


def _lasso_figure(tabs: dict, family):
    from .plots import plot_lasso

    return plot_lasso(tabs["measure_lasso"], tabs.get("measure_lasso_sweep"), family=family)


# ----------------------------------------------------------------------------- embeddings (Figure 4, Section 4.3)
def _project(X: np.ndarray, seed: int) -> dict[str, np.ndarray]:
    import warnings

    from sklearn.decomposition import PCA

    with warnings.catch_warnings():
        # Identical vectors (e.g. the last token "." of every sentence at layer 0) have no
        # variance: PCA then returns zeros and warns about 0/0 in explained_variance_ratio_.
        warnings.simplefilter("ignore", RuntimeWarning)
        out = {"pca": PCA(n_components=2, svd_solver="full").fit_transform(X)}
    try:
        import umap  # optional: umap-learn
    except ImportError:
        return out
    reducer = umap.UMAP(n_components=2, n_neighbors=min(15, len(X) - 1), random_state=seed, metric="euclidean")
    out["umap"] = reducer.fit_transform(X)
    return out


def _separation(X: np.ndarray, sents: list[dict]) -> dict:
    from sklearn.metrics import silhouette_score

    pick = [i for i, s in enumerate(sents) if s["context"] in ("king", "queen")]
    labels = [sents[i]["context"] for i in pick]
    return {"silhouette_king_vs_queen": float(silhouette_score(X[pick], labels, metric="euclidean")),
            "n_sentences": len(pick)}


def _embeddings(run: ModelRun) -> dict[str, pd.DataFrame]:
    sents, recs = run.sentences
    emb, sep = [], []
    for k in run.layers:
        for rep in ("mean", "last"):
            X = np.stack([r["states"][k].mean(axis=0) if rep == "mean" else r["states"][k][-1] for r in recs])
            for method, XY in _project(X, run.config.seed).items():
                for s, (x, y) in zip(sents, XY):
                    emb.append({"layer": k, "sentence_id": s["sentence_id"], "context": s["context"],
                                "country": s["country"], "sentence": s["sentence"], "representation": rep,
                                "method": method, "x": float(x), "y": float(y)})
            sep.append({"layer": k, "representation": rep, **_separation(X, sents)})
    return {"embeddings": pd.DataFrame(emb), "embeddings_separation": pd.DataFrame(sep)}


def _embeddings_figure(tabs: dict, family):
    from .plots import plot_embeddings

    return plot_embeddings(tabs["measure_embeddings"], family=family)


# ------------------------------------------------------------------------- sentence distances (Figures 5-6, 4.3)
DISTANCE_METRICS = ("logdet", "js", "riemann", "logeuclid")


#: Label permutations of the distances' null comparison.
N_PERMUTATIONS = 2000


def _distances(run: ModelRun) -> dict[str, pd.DataFrame]:
    # Figure 5 compares the king and queen sentences; the one-word
    # country sentences are left out (a 2-3 token covariance says little).
    sents, recs = run.sentences
    gamma, ridge = run.config.gamma, run.config.ridge
    pick = [i for i, s in enumerate(sents) if s["context"] in ("king", "queen")]
    pairs = [(a, b) for ai, a in enumerate(pick) for b in pick[ai + 1:]]
    rows = []
    bar = run.bar(len(run.layers) * len(pairs), "sentence distances", "pair")
    for k in run.layers:
        for a, b in pairs:
            Za, Zb = recs[a]["states"][k], recs[b]["states"][k]
            for metric in DISTANCE_METRICS:
                rows.append({"layer": k, "sentence_a": a, "sentence_b": b,
                             "context_a": sents[a]["context"], "country_a": sents[a]["country"],
                             "context_b": sents[b]["context"], "country_b": sents[b]["country"],
                             "metric": metric,
                             "distance": M.sentence_distance(Za, Zb, metric, ridge=ridge, gamma=gamma),
                             "pyriemann_distance": M.pyriemann_distance(Za, Zb, metric, ridge=ridge, gamma=gamma),
                             "ridge": 0.0 if metric == "js" else ridge,
                             "gamma": gamma if metric == "js" else float("nan")})
            bar.update(1)
    bar.close()
    df = pd.DataFrame(rows)
    return {"distances": df, "distances_null": distances_null(df, seed=run.config.seed)}


def _across_within(dist: np.ndarray, labels: np.ndarray, ia: np.ndarray, ib: np.ndarray) -> float:
    same = labels[ia] == labels[ib]
    return float(dist[~same].mean() / dist[same].mean())


def distances_null(df: pd.DataFrame, *, seed: int, n_permutations: int = N_PERMUTATIONS) -> pd.DataFrame:
    """Does the context (king/queen) order the distances? Per layer and metric: the observed ratio of the mean
    distance across contexts to the mean within a context, against the same ratio when the context labels are
    shuffled over the sentences (``n_permutations`` random relabellings with the sizes kept; seeded): the null's
    mean and 95% range, and the one-sided permutation p-value ``(1 + #{null >= observed}) / (1 + n)``."""
    rng = np.random.default_rng([seed, 0xD15])
    out = []
    for (layer, metric), g in df.groupby(["layer", "metric"], sort=True):
        ids = sorted(set(g["sentence_a"]) | set(g["sentence_b"]))
        pos = {s: i for i, s in enumerate(ids)}
        labels = {r.sentence_a: r.context_a for r in g.itertuples()} | {r.sentence_b: r.context_b
                                                                        for r in g.itertuples()}
        lab = np.array([labels[s] for s in ids])
        ia, ib = g["sentence_a"].map(pos).to_numpy(), g["sentence_b"].map(pos).to_numpy()
        dist = g["distance"].to_numpy()
        observed = _across_within(dist, lab, ia, ib)
        null = np.array([_across_within(dist, rng.permutation(lab), ia, ib) for _ in range(n_permutations)])
        out.append({"layer": layer, "metric": metric, "ratio_across_within": observed,
                    "null_mean": float(null.mean()), "null_low": float(np.quantile(null, 0.025)),
                    "null_high": float(np.quantile(null, 0.975)),
                    "p_value": float((1 + np.sum(null >= observed)) / (1 + n_permutations)),
                    "n_permutations": n_permutations, "n_sentences": len(ids)})
    return pd.DataFrame(out)


def _distances_report(tables: dict, params) -> dict[str, pd.DataFrame]:
    df, null = tables["distances"], tables["distances_null"]
    return {"measure_distances": df[df["layer"] == df["layer"].max()],
            "measure_distances_null": null[null["layer"] == null["layer"].max()]}


def _distances_figure(tabs: dict, family):
    from .plots import plot_distances

    return plot_distances(tabs["measure_distances"], tabs.get("measure_distances_null"), family=family)


# ------------------------------------------------------------------------------------------------------ registry
_ENTROPY_COLUMNS = ("text_id", "layer", "n_tokens", "d", "eps", "L_eps", "L_eps_normalized", "matrix_entropy")
_INFOGAIN_COLUMNS = ("text_id", "layer", "t", "sigma", "info_gain", "increment", "info_gain_normalized")
_PROMPT_MODEL = "; model `{model}`."

REGISTRY: dict[str, Measurement] = {m.name: m for m in (
    Measurement(
        "entropy", "text", (TableSpec("entropy", ("model", "revision", "text_id", "layer"), _ENTROPY_COLUMNS),),
        _entropy, plot=_entropy_figure, figure="measure_entropy_vs_size",
        caption="Figure 1 measured directly: the last layer's normalized rate-distortion and matrix entropy per "
                "model size, mean over {n_texts} transcripts of {max_tokens} tokens.",
        doc="Section 3: rate-distortion entropy L_eps (Definition 3.1) and matrix entropy of each text."),
    Measurement(
        "infogain", "text",
        (TableSpec("infogain", ("model", "revision", "text_id", "layer", "t"), _INFOGAIN_COLUMNS),),
        _infogain, report=_infogain_report, report_names=("_infogain", "measure_infogain_mean"),
        plot=_infogain_figure, figure="measure_fig3_infogain",
        caption="Figure 3: normalized information gain I(y_t; f)/d (σ = 0.01, last layer) and its increment "
                "against prefix length.",
        doc="Section 4.1: GP information gain I(y_t; f) of every prefix of each text and its increments."),
    Measurement(
        "lasso", "model", (TableSpec("lasso", ("model", "revision", "layer", "target", "position")),
                           TableSpec("lasso_sweep", ("model", "revision", "layer", "target", "lambda"))),
        _lasso, report=_lasso_report, report_names=("measure_lasso", "measure_lasso_picks", "measure_lasso_sweep"),
        plot=_lasso_figure, figure="measure_lasso", attentions=True,
        caption="Section 4.2: Lasso and head-averaged attention weights on their own scales, the 0.01 threshold, "
                "and the Lasso over λ/λ_max against chance" + _PROMPT_MODEL,
        shown=(("measure_lasso_picks",
                "At the paper's λ (over λ_max = 2·max|cos|: nearly unpenalized), tokens picked (weight > 0.01) by "
                "each method and both, the hypergeometric chance mean and p_overlap = P(overlap ≥ n_both); "
                "weights: {tables[measure_lasso]}, λ sweep: {tables[measure_lasso_sweep]}",
                {"columns": ["target", "paper_lambda_over_max", "n_attention", "n_lasso", "n_both", "chance_both",
                             "p_overlap"]}),),
        doc="Section 4.2: Lasso of a protocol token on its context against head-averaged attention."),
    Measurement(
        "embeddings", "model",
        (TableSpec("embeddings", ("model", "revision", "layer", "representation", "method", "sentence_id")),
         TableSpec("embeddings_separation", ("model", "revision", "layer", "representation"))),
        _embeddings, report=lambda tables, params: {"measure_embeddings": tables["embeddings"]},
        report_names=("measure_embeddings",),
        plot=_embeddings_figure, figure="measure_embeddings",
        caption="Figure 4 analogue: mean-token against last-token embeddings of 'He is the king of' / 'She is the "
                "queen of' + countries (PCA)" + _PROMPT_MODEL,
        doc="Figure 4: mean-token and last-token sentence embeddings, projected."),
    Measurement(
        "distances", "model",
        (TableSpec("distances", ("model", "revision", "layer", "metric", "sentence_a", "sentence_b")),
         TableSpec("distances_null", ("model", "revision", "layer", "metric"))),
        _distances, report=_distances_report, report_names=("measure_distances", "measure_distances_null"),
        plot=_distances_figure, figure="measure_distances",
        shown=(("measure_distances_null",
                "Figures 5-6 against a null: across-context over within-context mean distance, and the same ratio "
                "with the king/queen labels shuffled (95% range, permutation p; its mean: the CSV)",
                {"columns": ["metric", "ratio_across_within", "null_low", "null_high", "p_value"]}),),
        caption="Figures 5-6: distances between sentences' token covariances (JS γ = 100, Logdet, Riemannian, "
                "log-Euclidean)" + _PROMPT_MODEL,
        doc="Figures 5-6 (Section 4.3): distances between the token covariances of sentence pairs."),
)}

#: Every measurement's name, in registry order (the default of ``--measurements``).
MEASUREMENTS = tuple(REGISTRY)
#: The measurements computed on each text (sharded with the texts).
TEXT_MEASUREMENTS = tuple(m.name for m in REGISTRY.values() if m.scope == "text")


def table_keys(table: str) -> tuple[str, ...]:
    """Sort keys of an engine table (empty for a name no measurement writes)."""
    return next((t.keys for m in REGISTRY.values() for t in m.tables if t.name == table), ())
