"""The answer-first summary: each of its numbers is read back and looked up in the table it comes from."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from reports.blocks import fmt, interval, markdown_html
from reports.build import SECTION_TITLES
from reports.summary import DATA_COLUMN, TESTS, read_summary_tables, summary_text

LATEST = Path(__file__).resolve().parents[2] / "reports" / "latest"
NUM = r"-?\d+(?:\.\d+)?(?:e[+-]?\d+)?"


@pytest.fixture
def tables_dir(tmp_path):
    """A copy of the committed report's tables (the fixture; the summary only reads tables)."""
    src = LATEST / "tables"
    if not (src / "claims.csv").exists():
        pytest.skip("reports/latest/tables is not there")
    shutil.copytree(src, tmp_path / "tables")
    return tmp_path


def _row(df, **eq):
    m = pd.Series(True, index=df.index)
    for k, v in eq.items():
        m &= df[k].astype(str) == str(v)
    assert m.sum() >= 1, f"no row with {eq}"
    return df[m].iloc[0]


def _check_claims(text, t):
    c = t["claims"]
    head = re.search(r"(\d+) printed in the paper: (.*?); (\d+) variants the suite derives: (.*?)\.\n", text)
    assert head, "claims line not found"
    for n_total, counts, origin in ((head[1], head[2], "paper"), (head[3], head[4], "derived")):
        mine = c[c["origin"] == origin]
        assert int(n_total) == len(mine)
        shown = {v: int(n) for n, v in re.findall(r"(\d+) \*\*([a-z-]+)\*\*", counts)}
        assert shown and all(n == int((mine["verdict"] == v).sum()) for v, n in shown.items())
        assert sum(shown.values()) == len(mine)  # every claim is counted
        by_def = re.search(r"\*\*holds\*\* \((\d+) of them by definition\)", counts)
        marked = 0
        if "by_definition" in c.columns:
            marked = int(((mine["verdict"] == "holds") & (mine["by_definition"].fillna("").astype(str) != "")).sum())
        assert (int(by_def[1]) if by_def else 0) == marked
    fails = re.search(r"Verified corrections \(section 1\): (.*?)\.\n", text)
    listed = re.findall(r"`([^`]+)`( \*\*refuted\*\*)?", fails[1]) if fails else []
    failing = c[c["verdict"].isin(["corrected", "refuted"])]
    assert sorted(i for i, _ in listed) == sorted(failing["id"])
    for cid, refuted in listed:
        assert bool(refuted) == (_row(c, id=cid)["verdict"] == "refuted")
    return ({str(len(c[c["origin"] == o])) for o in ("paper", "derived")} | set(re.findall(r"(\d+) \*\*", text))
            | set(re.findall(r"\((\d+) of them by definition\)", text)))


def _check_neural(text, t):
    e = t["neural_exponents"]
    kind = re.search(r"slope of learning step vs task rank, ([^)]+) 95%\)", text)[1]
    line = next(ln for ln in text.splitlines() if ln.startswith("**Skills one after another?**"))
    found = re.findall(rf"α = ({NUM}): slope ({NUM}) \[({NUM}), ({NUM})\] vs ({NUM}) sequential, ({NUM}) parallel: "
                       rf"\*\*([a-z ]+)\*\*", line)
    lt = e[(e["axis"] == "learning_time") & (e["threshold"] == 0.5)]
    assert len(found) == len(lt) > 0
    assert kind == ", ".join(sorted(set(lt["interval_kind"])))
    for alpha, est, lo, hi, seq, par, verdict in found:
        r = lt[lt["alpha"].map(fmt) == alpha].iloc[0]
        assert (est, lo, hi, seq, par) == tuple(fmt(r[k]) for k in ("fitted", "ci_low", "ci_high",
                                                                      "predicted_sequential", "predicted_parallel"))
        assert verdict == r["verdict"]
    rob = t.get("neural_robustness")
    if rob is None:
        assert "Scope: one seed, one network and one optimizer" in text
        return set()
    m = re.search(r"below the parallel learner's in (\d+) of (\d+) fitted variants(?: \(([^)]*)\))? and the "
                  r"sequential learner is rejected in (\d+) of (\d+)", text)
    fitted = rob[rob["vs_parallel"] != "no fit"]
    below = fitted[fitted["vs_parallel"] == "below"]
    assert (int(m[1]), int(m[2]), int(m[4]), int(m[5])) == (
        len(below), len(fitted), int((fitted["vs_sequential"] != "holds").sum()), len(fitted))
    assert set(re.findall(r"`([^`]+)`", m[3] or "")) == set(below["variant"])
    holds = re.search(r"the interval holds the parallel prediction in (\d+)", text)
    assert int(holds[1]) == int((fitted["vs_parallel"] == "holds").sum())
    return {m[1], m[2], m[4], m[5], holds[1]}


def _check_skilllang(text, t):
    """The transformer line: each learning-time row as its table has it, and the calibration counts recomputed."""
    if "skilllang_exponents" not in t:
        assert "Transformers where the truth is known" not in text
        return set()
    e = t["skilllang_exponents"]
    lt = e[(e["axis"] == "learning_time") & (e["threshold"].astype(float) == 0.5)]
    line = next(ln for ln in text.splitlines() if ln.startswith("**Transformers where the truth is known**"))
    found = re.findall(rf"α = ({NUM}): slope ({NUM}) \[({NUM}), ({NUM})\] vs ({NUM}) sequential, ({NUM}) parallel: "
                       rf"\*\*([a-z ]+)\*\*", line)
    assert len(found) == len(lt) > 0
    for alpha, est, lo, hi, seq, par, verdict in found:
        r = lt[lt["alpha"].map(fmt) == alpha].iloc[0]
        assert (est, lo, hi, seq, par, verdict) == (*(fmt(r[k]) for k in (
            "fitted", "ci_low", "ci_high", "predicted_sequential", "predicted_parallel")), r["verdict"])
    cal = t["skilllang_calibration"]
    m = re.search(r"hold the truth in (\d+) of (\d+) rows, and it makes a decided call in (\d+) of (\d+) "
                  r"\((\d+) right\)", line)
    called = cal[cal["agrees"].astype(str).isin(["yes", "no"])]
    assert tuple(int(x) for x in m.groups()) == (int((cal["covers"].astype(str) == "True").sum()), len(cal),
                                                  len(called), len(cal), int((called["agrees"] == "yes").sum()))
    return set(m.groups())


def test_the_lead_says_only_what_its_tables_decide(tables_dir):
    """The lead sentences follow the verdicts: make the MLPs' learning-time rows hold for the sequential learner and
    the lead no longer says the networks reject it for MLPs."""
    text = summary_text(tables_dir, SECTION_TITLES)
    assert text.splitlines()[2].startswith("**What was learned.**")
    path = tables_dir / "tables" / "neural_exponents.csv"
    e = pd.read_csv(path)
    lt = (e["axis"] == "learning_time") & (e["threshold"] == 0.5)
    e.loc[lt, "verdict"] = "parallel rejected"
    e.to_csv(path, index=False)
    after = summary_text(tables_dir, SECTION_TITLES).splitlines()[2]
    assert "MLPs on sparse parity" not in after
    if "MLPs on sparse parity" in text.splitlines()[2]:
        assert after != text.splitlines()[2]


def _md_table(text, first_col):
    """The rows of the Markdown table whose header starts with ``first_col``."""
    lines = text.splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith(f"| {first_col} |"))
    head = [c.strip() for c in lines[start].strip("|").split("|")]
    rows = []
    for ln in lines[start + 2:]:
        if not ln.startswith("|"):
            break
        rows.append(dict(zip(head, [c.strip() for c in ln.strip("|").split("|")])))
    return rows


def _check_pythia(text, t):
    h = t["pythia_verdicts_headline"]
    params = re.findall(rf"(\w+), N (\w+): α = ({NUM}) \[({NUM}), ({NUM})\] \*\*([a-z-]+)\*\*", text)
    assert len(params) == (h["test"] == "params_power_law").sum() > 0
    p_kind = re.search(r"α of L = E \+ A·N\^−α \(([^)]+)\)", text)[1]
    for family, source, est, lo, hi, verdict in params:
        r = _row(h, test="params_power_law", family=family, alpha_source=source)
        assert f"{est} [{lo}, {hi}]" == interval(r["estimate"], r["ci_low"], r["ci_high"])
        assert verdict == r["verdict"] and r["interval_kind"].startswith(p_kind)
    rows = _md_table(text, "test")
    assert len(rows) == len(h[h["test"] != "params_power_law"]) // 2
    label_to_test = {v: k for k, v in TESTS.items()}
    for row in rows:
        family, source = re.fullmatch(r"(\w+), (\w+)", row[DATA_COLUMN]).groups()
        for hyp in ("α/(α+2)", "α/(α+1)"):
            sel = h[(h["test"] == label_to_test[row["test"]]) & (h["family"] == family)
                    & (h["alpha_source"] == source) & h["hypothesis"].str.contains(hyp, regex=False)]
            r = sel.iloc[0]
            assert row[f"vs {hyp}"].startswith(f"{fmt(r['predicted'])}: **{r['verdict']}**")
            words = row[f"vs {hyp}"].split("**", 2)[2].strip(" ()")  # the outcome, where it says more
            assert not words or words in str(r.get("outcome", "")), (words, r.get("outcome"))
            if row["test"].startswith("training steps"):  # a median over sizes: no interval of its own; the
                assert row["fitted"] == f"{fmt(r['estimate'])} (median)"  # sizes behind it: in the kinds line
                n_use, n_all = re.match(r"(\d+) of (\d+) usable", r["reason"]).groups()
                assert f"median of {n_use} of {n_all} sizes" in text
            else:
                assert row["fitted"] == interval(r["estimate"], r["ci_low"], r["ci_high"])
    # The kind of interval of each test is stated once, above the table, as its rows' interval_kind says.
    kinds = re.search(r"against the predictions \((.*)\):\n", text)[1]
    for label, test in label_to_test.items():
        if label in kinds and test != "params_power_law":
            first = h[h["test"] == test].iloc[0]
            assert str(first["interval_kind"]).split(" (")[0].replace("bootstrap-calibrated ", "calibrated ") in kinds


def _all_cells(t) -> set[str]:
    return {s for df in t.values() for col in df.columns for v in df[col] for s in (fmt(v), str(v))}


def test_every_number_in_the_summary_is_read_from_its_table(tables_dir):
    text = summary_text(tables_dir, SECTION_TITLES)
    t = read_summary_tables(tables_dir)
    counts = _check_claims(text, t)
    counts |= _check_neural(text, t)
    counts |= _check_skilllang(text, t)
    _check_pythia(text, t)
    ag = t["simulate_agreement"].set_index("table")
    sim = re.search(r"(\d+) of (\d+) exact-run and (\d+) of (\d+) stochastic-run exponents", text).groups()
    assert sim == tuple(str(int(ag.loc[k, c])) for k in ("exponents", "stochastic") for c in ("agree", "counted"))
    # Every number left once maths, links, ids, paper references and the predictions' formulas are set aside is
    # a cell of a table the summary reads (or a count of claims checked above).
    formulas_dropped = re.sub(r"^(- .*?\)): .*$", r"\1", text, flags=re.M)  # corrected forms: maths, not data
    bare = re.sub(r"\$[^$]*\$|\]\(#[^)]*\)|`[^`]*`|α/\(α\+[12]\)|section \d|95%|6ND|"
                  r"(Theorem|Lemma|Section|Definition|Equation|Appendix|Assumption) \(?[\dA.]+\)?", " ",
                  formulas_dropped)
    usable = {n for reason in t["pythia_verdicts_headline"]["reason"]  # sizes behind a median (see _check_pythia)
              for pair in re.findall(r"(\d+) of (\d+) usable", reason) for n in pair}
    usable |= {n for cov in t["pythia_verdicts_headline"].get("drift_coverage", [])  # "36–51%": its two numbers
               for n in re.findall(r"\d+", str(cov))}
    known = _all_cells(t) | counts | usable
    stray = [n for n in re.findall(NUM, bare) if n not in known]
    assert not stray, f"numbers in the summary that no table holds: {stray}"


def test_the_summary_follows_its_tables(tables_dir):
    """Change a table, and the summary changes with it (it is read, not remembered)."""
    path = tables_dir / "tables" / "pythia_verdicts_headline.csv"
    h = pd.read_csv(path)
    before = summary_text(tables_dir, SECTION_TITLES)
    old = interval(h.loc[0, "estimate"], h.loc[0, "ci_low"], h.loc[0, "ci_high"])
    h.loc[0, ["estimate", "ci_low", "ci_high"]] = [0.123456, 0.0111, 0.2222]
    h.to_csv(path, index=False)
    after = summary_text(tables_dir, SECTION_TITLES)
    assert "0.1235 [0.0111, 0.2222]" in after and "0.1235 [0.0111, 0.2222]" not in before and old in before
    (tables_dir / "tables" / "neural_exponents.csv").unlink()
    assert "`tables/neural_exponents.csv`" in summary_text(tables_dir, SECTION_TITLES)  # named, not guessed


def test_the_by_definition_count_follows_the_catalogue_table(tables_dir):
    """Mark claims in claims.csv as holding by definition: the summary counts exactly those that hold."""
    path = tables_dir / "tables" / "claims.csv"
    c = pd.read_csv(path, keep_default_na=False)
    c["by_definition"] = ""
    c.to_csv(path, index=False)
    assert "by definition" not in summary_text(tables_dir, SECTION_TITLES)
    holds = c.index[(c["verdict"] == "holds") & (c["origin"] == "paper")][:3]
    c.loc[holds, "by_definition"] = "Definition 9.9 restated"
    c.loc[c.index[c["verdict"] == "corrected"][:1], "by_definition"] = "not a holds: not counted"
    c.to_csv(path, index=False)
    text = summary_text(tables_dir, SECTION_TITLES)
    n_holds = int(((c["verdict"] == "holds") & (c["origin"] == "paper")).sum())
    assert f"printed in the paper: {n_holds} **holds** (3 of them by definition)," in text
    assert "3" in _check_claims(text, read_summary_tables(tables_dir))


def _robustness(variants, vs_parallel, vs_sequential):
    return pd.DataFrame({"variant": variants, "alpha": 0.5, "vs_parallel": vs_parallel,
                         "vs_sequential": vs_sequential})


def test_the_skill_sentence_states_the_grid_scope(tables_dir):
    """With a robustness table the skill-learning sentence says in how many variants the finding holds, naming
    them, and every count is the table's; a variant moved above the parallel prediction moves the count."""
    path = tables_dir / "tables" / "neural_robustness.csv"
    rob = _robustness(["adam", "sgd", "bits100", "batch64"], ["below", "below", "below", "no fit"],
                      ["below", "below", "holds", "no fit"])
    rob.to_csv(path, index=False)
    text = summary_text(tables_dir, SECTION_TITLES)
    t = read_summary_tables(tables_dir)
    assert _check_neural(text, t) == {"3", "2", "0"}  # 3 below of 3 fitted; sequential rejected in 2; 0 hold it
    assert "sequential learner is rejected in 2 of 3" in text
    assert "in 3 of 3 fitted variants (`adam`, `sgd` and `bits100`)" in text and "`batch64`" in text
    rob.loc[1, "vs_parallel"] = "above"
    rob.to_csv(path, index=False)
    text = summary_text(tables_dir, SECTION_TITLES)
    assert "in 2 of 3 fitted variants (`adam` and `bits100`)" in text
    assert "the interval lies above the parallel prediction in `sgd`" in text
    _check_neural(text, read_summary_tables(tables_dir))


def test_summary_links_resolve_to_section_headings(tables_dir):
    from reports.blocks import slug

    text = summary_text(tables_dir, SECTION_TITLES)
    targets = set(re.findall(r"\]\(#([^)]+)\)", text))
    assert targets and targets <= {slug(title) for title in SECTION_TITLES.values()}
    html = markdown_html(text)
    assert 'class="verdict-corrected"' in html and 'class="verdict-inconsistent"' in html

