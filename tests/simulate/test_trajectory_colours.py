"""simulate.plots.trajectories: a learner has one colour in every panel, the colour its legend entry shows."""
from __future__ import annotations

from matplotlib.colors import to_hex

from simulate import plots


def test_each_learner_has_its_legend_colour_in_every_panel(small_trajectories):
    traj, exps = small_trajectories
    fig = plots.trajectories(traj, exps, 0.5)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    legend = {t.get_text(): to_hex(h.get_color()) for t, h in
              zip(visible[0].get_legend().get_texts(), visible[0].get_legend().legend_handles)}
    panels = 0
    for ax in visible:
        for line in ax.get_lines():
            label = line.get_label()
            if label.startswith("_") or "theory" in label:
                continue
            assert to_hex(line.get_color()) == legend[label], (ax.get_xlabel(), label)
        panels += 1
    # The frontier panel holds the parallel learner alone: the panel where a restarted colour cycle showed.
    frontier = next(ax for ax in visible if "frontier" in ax.get_xlabel())
    labels = [ln.get_label() for ln in frontier.get_lines() if not ln.get_label().startswith("_")]
    assert labels == ["parallel, cost 1/p"]
    assert panels == 4 and len(set(legend.values())) == len(legend)
