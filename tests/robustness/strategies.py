"""Hypothesis strategies for malformed inputs (issue 13), shared by the robustness tests.

This file holds the strategies for simulate's TOML assumption files; the CSV and text strategies of the
empirical readers live in ``strategies_empirical.py``.

- :func:`toml_scalars`: TOML values of every type, with the edges that break loaders (NaN, +-inf, negative,
  zero, huge integers, empty and non-ASCII strings, booleans where numbers belong).
- :func:`assumption_documents`: a dict shaped like an assumptions file (sections ``law``, ``order``,
  ``cost``, ``model`` and unknown ones; known keys with values of the right and wrong types, unknown keys,
  missing sections), rendered to TOML text by :func:`render_toml`.
- :func:`assumption_files`: bytes of a file to load: a rendered document, that document truncated or with a
  line dropped (syntax errors), invalid UTF-8 spliced in, or random bytes.
"""
from __future__ import annotations

import json
import math

from hypothesis import strategies as st

LAW_NAMES = ("power", "broken_power", "exponential", "empirical", "nope")
ORDER_NAMES = ("sequential", "parallel", "random", "k_at_a_time", "nope")
COST_NAMES = ("inverse_p", "constant", "nope")
MODEL_KEYS = ("M", "B", "C", "delta", "delta_noise", "capacity", "r")
LAW_KEYS = ("alpha", "alpha_head", "break_rank", "rate", "weights", "probabilities")


def toml_scalars():
    """One TOML value (Python object) of any type, edges included."""
    return st.one_of(
        st.integers(min_value=-(2**63), max_value=2**63 - 1),
        st.sampled_from([0, 1, 2, 3, 100, 10**6, -1]),
        st.floats(allow_nan=True, allow_infinity=True),
        st.sampled_from([0.0, -0.0, 0.5, 1.0, 2.0, 1e-300, 1e300, math.nan, math.inf, -math.inf]),
        st.booleans(),
        st.text(max_size=8),
    )


def toml_values():
    return st.one_of(toml_scalars(), st.lists(st.one_of(st.floats(0, 10), st.integers(-3, 50)), max_size=6))


def _literal(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return json.dumps(v)  # JSON string escapes are TOML basic-string escapes (a lone surrogate is invalid TOML)
    if isinstance(v, list):
        return "[" + ", ".join(_literal(x) for x in v) + "]"
    raise TypeError(type(v))


def render_toml(doc: dict) -> str:
    """A dict of tables (``{"law": {"name": "power", "alpha": 0.5}, ...}``) as TOML text."""
    lines = []
    for section, table in doc.items():
        lines.append(f"[{section}]")
        lines += [f"{key} = {_literal(v)}" for key, v in table.items()]
    return "\n".join(lines) + "\n"


def _section(names, keys):
    known = st.dictionaries(st.sampled_from(keys), toml_values(), max_size=3)
    name = st.one_of(st.sampled_from(names), toml_scalars())
    return st.builds(lambda n, kv, extra: {**({"name": n} if n is not None else {}), **kv, **extra},
                     st.one_of(st.none(), name), known,
                     st.dictionaries(st.from_regex(r"[a-z]{1,6}", fullmatch=True), toml_scalars(), max_size=1))


@st.composite
def assumption_documents(draw):
    """A dict shaped like an assumptions file, valid or not (see the module docstring)."""
    doc = {}
    if draw(st.booleans()) or draw(st.booleans()):
        doc["law"] = draw(_section(LAW_NAMES, LAW_KEYS))
    if draw(st.booleans()):
        doc["order"] = draw(_section(ORDER_NAMES, ("k",)))
    if draw(st.booleans()):
        doc["cost"] = draw(_section(COST_NAMES, ("python",)))
    if draw(st.booleans()):
        doc["model"] = draw(st.dictionaries(st.sampled_from(MODEL_KEYS + ("MM",)), toml_values(), max_size=4))
    if draw(st.integers(0, 9)) == 0:
        doc[draw(st.from_regex(r"[a-z]{1,6}", fullmatch=True))] = {"x": 1}
    return doc


@st.composite
def assumption_files(draw):
    """(bytes of an assumptions file, the document it renders or None when it is not one)."""
    doc = draw(assumption_documents())
    text = render_toml(doc)
    how = draw(st.sampled_from(["as is", "as is", "as is", "truncated", "line dropped", "bad utf-8", "bytes"]))
    if how == "as is":
        return text.encode("utf-8", "surrogatepass"), doc
    if how == "truncated":
        return text.encode("utf-8", "surrogatepass")[: draw(st.integers(0, len(text)))], None
    if how == "line dropped":
        lines = text.splitlines()
        if lines:
            del lines[draw(st.integers(0, len(lines) - 1))]
        return ("\n".join(lines) + "\n").encode("utf-8", "surrogatepass"), None
    if how == "bad utf-8":
        raw = text.encode("utf-8", "surrogatepass")
        at = draw(st.integers(0, len(raw)))
        return raw[:at] + draw(st.sampled_from([b"\xff", b"\xc3", b"\xe9", b"\x80\x80"])) + raw[at:], None
    return draw(st.binary(max_size=64)), None


# ------------------------------------------------------------------ simulate command lines
#: Values that break number parsers and models; sizes stay small or far beyond any memory, so that every
#: accepted command finishes in about a second whatever machine runs it.
EDGE_NUMBERS = ("nan", "inf", "-inf", "-1", "0", "1", "2", "0.5", "1e-9", "1e300", "1e12", "x", "", "1.5")
SIMULATE_OPTIONS = {
    "--alpha": EDGE_NUMBERS, "--skills": ("2", "10", "60", "1000", "1e3", "1e12", "-5", "nan", "x"),
    "--B": EDGE_NUMBERS, "--C": EDGE_NUMBERS, "--delta": ("0.5", "0.1", "2", "nan", "-1", "0", "1e300"),
    "--delta-noise": ("0", "0.5", "100", "nan", "-1"), "--capacity": ("1", "50", "5000", "0", "1e12"),
    "--r": EDGE_NUMBERS, "--k": ("1", "4", "5000", "0"), "--order": ("sequential", "parallel", "random",
                                                                     "k_at_a_time", "nope"),
    "--cost": ("inverse_p", "constant", "nope"), "--mode": ("expected", "stochastic", "exact"),
    "--replicates": ("0", "1", "2", "3", "nan"), "--estimator": ("offset", "pure", "x"),
    "--n-boot": ("0", "10", "-1", "1e13"), "--points": ("2", "3", "60", "1e12"), "--seed": ("0", "-1", "7", "1e3"),
}


def _options(draw, options: dict, max_size: int) -> list[str]:
    """Up to ``max_size`` distinct options of ``options``, each followed by one of its edge values."""
    argv = []
    for o in draw(st.lists(st.sampled_from(sorted(options)), max_size=max_size, unique=True)):
        argv += [o, draw(st.sampled_from(options[o]))]
    return argv


@st.composite
def simulate_argv(draw):
    """A ``python -m simulate`` command line: 0-5 options with edge values, plus a window sometimes."""
    argv = _options(draw, SIMULATE_OPTIONS, 5)
    if draw(st.booleans()):
        argv += ["--window", *draw(st.lists(st.sampled_from(["0", "1", "5", "10", "100", "100000"]), min_size=2,
                                            max_size=2))]
    return argv


GRAPH_OPTIONS = {
    "--alpha": EDGE_NUMBERS, "--skills": ("2", "50", "2000", "1e12", "0", "x"),
    "--edges": ("1", "10", "1000", "1e5", "1e13", "-1", "nan"), "--texts": ("1", "100", "1e15", "0", "x"),
    "--seed": ("0", "-1", "3"), "--model": ("poisson_zipf", "power", "x"),
}


@st.composite
def graph_argv(draw):
    """A ``python -m simulate graph`` command line: 0-4 options with edge values."""
    return _options(draw, GRAPH_OPTIONS, 4)
