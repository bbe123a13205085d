"""Rendering and reproducibility of the report: table digits, per-section seeds, default-window rows, verdict classes,
MathML for every formula of the claim catalogue."""
from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import reports.blocks as K
from reports import build as B

ROOT = Path(__file__).resolve().parents[2]


# -- digits -------------------------------------------------------------------------------------------------------

def test_tables_carry_the_stated_significant_digits(tmp_path):
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.lognormal(0, 6, 500) * rng.choice([-1, 1], 500), [1 / 3, -0.0, 0.0, 1e-300, 2.5e20]])
    ctx = B.SectionContext("t", tmp_path)
    ctx.table("x", pd.DataFrame({"x": x, "label": "a"}))
    text = (tmp_path / "tables" / "x.csv").read_text().splitlines()[1:]
    back = pd.read_csv(tmp_path / "tables" / "x.csv")["x"].to_numpy()
    digits = [len(re.sub(r"[^0-9]", "", re.split(r"e", s.split(",")[0])[0]).lstrip("0")) for s in text]
    assert max(digits) == B.TABLE_DIGITS
    np.testing.assert_allclose(back, x, rtol=0.5 * 10.0 ** (1 - B.TABLE_DIGITS), atol=0)
    assert "-0," not in "\n".join(text)  # negative zero prints as 0


def test_a_last_digit_perturbation_gives_the_same_bytes(tmp_path):
    """What another BLAS does to a fit (relative change ~1e-12) does not reach the written digits."""
    rng = np.random.default_rng(1)
    x = rng.lognormal(0, 3, 2000)
    a, b = B.SectionContext("a", tmp_path / "a"), B.SectionContext("b", tmp_path / "b")
    a.table("x", pd.DataFrame({"x": x}))
    b.table("x", pd.DataFrame({"x": x * (1 + 1e-12 * rng.standard_normal(x.size))}))
    assert (tmp_path / "a/tables/x.csv").read_bytes() == (tmp_path / "b/tables/x.csv").read_bytes()
    c = B.SectionContext("c", tmp_path / "c")
    c.table("x", pd.DataFrame({"x": x * (1 + 1e-4)}))  # a real change still shows
    assert (tmp_path / "c/tables/x.csv").read_bytes() != (tmp_path / "a/tables/x.csv").read_bytes()


# -- seeds per section ---------------------------------------------------------------------------------------------

def _tiny(ctx):
    ctx.table("tiny", pd.DataFrame({"seed": [ctx.seed], "x": [np.random.default_rng(ctx.seed).random()]}))
    return [K.Para("tiny section")]


def test_each_section_keeps_its_own_seed_with_only(tmp_path, monkeypatch):
    real = B._sections

    def patched():
        s = real()
        return {name: (title, _tiny) for name, (title, _) in s.items()}

    monkeypatch.setattr(B, "_sections", patched)
    B.build_report(tmp_path, only="theory", seed=3, progress=False)
    B.build_report(tmp_path, only="assumption", seed=5, progress=False)
    m = json.loads((tmp_path / "manifest.json").read_text())
    assert m["sections"]["theory"]["seed"] == 3 and m["sections"]["assumption"]["seed"] == 5
    assert m["seed"] == 5 and m["table_float_digits"] == B.TABLE_DIGITS
    assert m["table_float_format"] == f"%.{B.TABLE_DIGITS}g"


def test_summary_comes_first(tmp_path, monkeypatch):
    monkeypatch.setattr(B, "_sections", lambda: {n: (t, _tiny) for n, t in B.SECTION_TITLES.items()})
    B.build_report(tmp_path, only="assumption", progress=False)
    md = (tmp_path / "report.md").read_text()
    assert re.match(r"# [^\n]+\n\n## Summary\n", md)
    html = (tmp_path / "report.html").read_text()
    body = html.split("<body>", 1)[1].lstrip()
    assert re.match(r'<h1 id="[^"]+">[^<]+</h1>\s*<section id="summary">', body)
    assert "Not built yet" in md  # tables of unbuilt sections are named


# -- tables in the body --------------------------------------------------------------------------------------------

def _fits(tmp_path):
    rows = [{"analysis": "params", "window": w, "is_default": w == "all (default)", "param": p, "estimate": e,
             "ci_low": e - 0.1, "ci_high": e + 0.1, "at_bound": "", "n_boot": 1000, "interval_kind": "profile-t 95%"}
            for w in ("all (default)", "without smallest") for p, e in (("E", 1.5), ("A", 20.0), ("a", 0.35))]
    pd.DataFrame(rows).to_csv(tmp_path / "fits.csv", index=False)
    return rows


def test_default_window_rows_with_the_columns_that_tell_them_apart(tmp_path):
    rows = _fits(tmp_path)
    t = K.Table("fits.csv", "fits", where={"is_default": True, "param": ["a"]},
              columns=["analysis", "window", "param", "estimate", "ci_low", "ci_high", "at_bound", "n_boot",
                       "interval_kind"])
    md = K.render_markdown([t], tmp_path)
    body = [ln for ln in md.splitlines() if ln.startswith("|params")]
    assert len(body) == 1 and "all (default)" in body[0] and "0.35 [0.25, 0.45]" in body[0]
    assert "|window|" in md and "|n_boot|" in md and "|interval_kind|" in md
    assert f"1 of {len(rows)} rows" in md and "[fits.csv](fits.csv)" in md  # the full table is linked


def test_verdicts_carry_a_class_with_a_style(tmp_path):
    pd.DataFrame({"claim": ["x", "y", "z"], "verdict": ["holds", "holds-under-conditions", "both rejected"]}) \
        .to_csv(tmp_path / "v.csv", index=False)
    html = K.render_html([K.Heading("T", 1), K.Summary("a **refuted** claim"), K.Table("v.csv")], tmp_path, "T")
    for v in ("holds", "holds-under-conditions", "both-rejected", "refuted"):
        assert f'class="verdict-{v}"' in html
    assert '<div class="table-wrap"><table>' in html


def test_every_verdict_in_the_tables_has_a_style():
    tables = ROOT / "reports" / "latest" / "tables"
    verdicts = set()
    for name in ("claims", "pythia_verdicts_headline", "minipythia_verdicts_headline", "neural_exponents",
                 "pythia_verdicts", "pythia_coverage"):
        if (tables / f"{name}.csv").exists():
            verdicts |= set(pd.read_csv(tables / f"{name}.csv")["verdict"].dropna())
    if not verdicts:
        pytest.skip("no committed tables")
    missing = [v for v in verdicts if "." + K.verdict_class(v) not in K.CSS]
    assert not missing, f"verdicts without a style: {missing}"


# -- maths ---------------------------------------------------------------------------------------------------------

def _correction_latex() -> list[str]:
    """Every ``Correction(..., latex=...)`` written in the catalogue's source (the corrections are built when a claim
    runs; reading the source covers them all without running the checks)."""
    out = []
    for path in sorted((ROOT / "theory" / "catalogue" / "claims").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Correction":
                kw = {k.arg: k.value for k in node.keywords}
                arg = kw.get("latex", node.args[1] if len(node.args) > 1 else None)
                out.append(ast.literal_eval(arg))
    return out


def test_every_catalogue_formula_becomes_mathml():
    from theory.catalogue import registry

    formulas = [s.latex for s in registry().values()] + _correction_latex()
    assert len(_correction_latex()) >= 6
    for tex in formulas:
        out = K.latex_html(tex)
        assert out.startswith("<math") and 'class="latex"' not in out, tex
        assert "\\" not in re.sub(r"<[^>]+>", "", out), f"unconverted command in {tex!r}"


def test_maths_in_markdown_and_the_fallback():
    html = K.markdown_html(r"the exponent $\frac{\alpha}{\alpha+2}$ here")
    assert "<mfrac>" in html and "$" not in html
    broken = K.latex_html(r"\frac{")
    assert broken == r'<code class="latex">\frac{</code>'
    assert "<script" not in K.render_html([K.Para(r"$x^2$")], Path("."), "T")  # no JavaScript needed


def test_noise_columns_are_written_to_their_resolution(tmp_path):
    ctx = B.SectionContext("t", tmp_path)
    df = pd.DataFrame({"grad_norm": [4.3e-11, 9.7e-9, 3e-4], "x": [4.3e-11, 9.7e-9, 3e-4]})
    ctx.table("g", df, {"grad_norm": 1e-6})
    back = pd.read_csv(tmp_path / "tables" / "g.csv")
    assert list(back["grad_norm"]) == [0.0, 0.0, 3e-4] and list(back["x"]) == list(df["x"])  # only that column
    assert ctx.resolutions == {"tables/g.csv": {"grad_norm": 1e-6}}
    with pytest.raises(ValueError, match="resolution"):
        ctx.table("g", df, {"nope": 1e-6})
    with pytest.raises(ValueError, match="resolution"):
        ctx.table("g", df, {"x": 0})


def test_whole_numbers_stored_as_floats_keep_every_digit(tmp_path):
    ctx = B.SectionContext("t", tmp_path)
    df = pd.DataFrame({"n": [1041643.0, 6444163072.0, np.nan], "frac": [1.0, 0.5, np.nan], "inf": [np.inf, 1.0, 2.0]})
    ctx.table("n", df)
    lines = (tmp_path / "tables" / "n.csv").read_text().splitlines()
    assert lines[1:] == ["1041643,1,inf", "6444163072,0.5,1", ",,2"]


def test_clipped_columns_show_their_gist_and_link_the_whole(tmp_path):
    pd.DataFrame({"verdict": ["fragile"], "reason": ["fragile: flips between windows; default: consistent"],
                  "interval_kind": ["profile-t 95% (t reference, 5 df)"]}).to_csv(tmp_path / "h.csv", index=False)
    md = K.render_markdown([K.Table("h.csv", "h", clip={"reason": ":;", "interval_kind": [" ("]})], tmp_path)
    assert "|fragile|fragile|profile-t 95%|" in md and "flips" not in md and "[h.csv](h.csv)" in md


def test_the_report_command_pins_torchs_cpu_kernels():
    """python -m reports pins each of torch's CPU kernel libraries (ATen's AVX2 kernels, MKL's reproducible
    COMPATIBLE branch, oneDNN capped at AVX2: the same code on every x86-64 machine with AVX2 and FMA) unless the
    user set the variable; the manifest records what ran (``torch_kernels``)."""
    import os
    import subprocess
    import sys

    from infogeo import TORCH_KERNEL_PINS

    pytest.importorskip("torch")
    code = ("import reports.__main__, torch, os, json; print(json.dumps([str(torch.backends.cpu.get_cpu_capability()),"
            " os.environ.get('MKL_CBWR'), os.environ.get('ONEDNN_MAX_CPU_ISA')]))")
    env = {k: v for k, v in os.environ.items() if k not in TORCH_KERNEL_PINS}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == ["AVX2", "COMPATIBLE", "AVX2"]
    env["MKL_CBWR"] = "AVX2"  # an explicit choice is the user's: kept
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == ["AVX2", "AVX2", "AVX2"]
