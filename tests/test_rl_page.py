"""AppTest of pages/reinforcement.py: the main controls change what the page shows."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from playground.pages import ROOT

PAGE = str(ROOT / "pages" / "reinforcement.py")


def run(**state) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=180)
    for k, v in state.items():
        at.session_state[k] = v
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def figures(at: AppTest) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def titles(at: AppTest) -> list[str]:
    return [f["layout"].get("title", {}).get("text", "") for f in figures(at)]


def latex(at: AppTest) -> str:
    """The worked update of the learning section (the last two LaTeX blocks)."""
    return " ".join(x.value for x in at.latex[-2:])


def captions(at: AppTest) -> str:
    return " ".join(c.value for c in at.caption)


def test_default_page_draws_planning_learning_and_the_worked_update():
    at = run()
    assert at.data_editor[0].key == "rl_grid"
    t = titles(at)
    assert "V after 3 sweeps" in t
    assert any(x.startswith("Learned values") for x in t) and any(x.startswith("Q(s, a)") for x in t)
    assert any(x.startswith("The learned policy, step by step") for x in t)
    rollout = next(f for f in figures(at) if f["layout"]["title"]["text"].startswith("The learned"))
    assert len(rollout["frames"]) > 5  # an animation: one frame per step
    assert metric(at, "Reaches G") == "100%" and metric(at, "Optimal actions") == "12/12"
    assert r"\max_{a'}" in latex(at) and r"\leftarrow" in latex(at)


def test_sweep_buttons_step_value_iteration():
    at = run()
    assert at.slider(key="rl_vi_sweeps").value == 3
    at.button(key="rl_vi_step").click().run()
    assert at.slider(key="rl_vi_sweeps").value == 4
    assert "V after 4 sweeps" in titles(at)
    at.button(key="rl_vi_end").click().run()
    end = at.slider(key="rl_vi_sweeps")
    assert end.value == end.max == 15
    assert "converged" in captions(at).lower() or any("Converged" in c.value for c in at.caption)


def test_editing_the_grid_is_validated():
    # remove the start (row 0, column "0" holds S in the default maze)
    at = run(rl_grid={"edited_rows": {0: {"0": "."}}, "added_rows": [], "deleted_rows": []})
    assert any("exactly one start" in e.value for e in at.error)
    # wall the start in: no path to the goal
    at = run(rl_grid={"edited_rows": {0: {"1": "#"}, 1: {"0": "#"}}, "added_rows": [],
                      "deleted_rows": []})
    assert any("No path" in e.value for e in at.error)
    # a valid edit (a wall on the short way) changes the plan
    before = run()
    after = run(rl_grid={"edited_rows": {4: {"5": "#"}}, "added_rows": [], "deleted_rows": []})
    assert not after.error
    assert metric(after, "Test return") != metric(before, "Test return")


def test_cliffwalking_gets_its_own_defaults_and_the_edge_path():
    at = run()
    at.radio(key="rl_env").set_value("CliffWalking").run()
    assert at.slider(key="rl_gamma").value == 1.0
    assert at.slider(key="rl_episodes").value == 500
    assert at.slider(key="rl_alpha").value == 0.5
    assert "13 steps, return -13, reaches G" in captions(at)


def test_slippery_ice_lowers_success():
    at = run()
    at.radio(key="rl_env").set_value("FrozenLake").run()
    assert metric(at, "Reaches G") == "100%"
    at.toggle(key="rl_slippery").set_value(True).run()
    assert not at.exception
    success = int(metric(at, "Reaches G").rstrip("%"))
    assert 40 <= success < 90


def test_method_choice_changes_the_worked_update():
    at = run()
    at.radio(key="rl_method").set_value("SARSA").run()
    assert "Q(s',a')" in latex(at) and r"\max" not in latex(at)
    at.radio(key="rl_method").set_value("Monte Carlo").run()
    assert "N(s,a)" in latex(at)


def test_update_slider_picks_another_update():
    at = run()
    first = latex(at)
    slider = at.slider(key="rl_update_step")
    slider.set_value(0 if slider.value else 1).run()
    assert latex(at) != first


def test_two_exits_discount():
    at = run(rl_preset="Two exits (near +3, far +10)")
    at.button(key="rl_vi_end").click().run()
    plan = next(f for f in figures(at) if f["layout"]["title"]["text"].startswith("V after"))
    assert plan["data"][0]["text"][0][2].startswith("→")  # at S the plan heads for the +10
    assert "does not reach G" in captions(at)  # the learner settles for the +3
    at.slider(key="rl_gamma").set_value(0.76).run()
    at.button(key="rl_vi_end").click().run()
    plan = next(f for f in figures(at) if f["layout"]["title"]["text"].startswith("V after"))
    assert plan["data"][0]["text"][0][2].startswith("→")  # 0.76: still the +10
    at.slider(key="rl_gamma").set_value(0.75).run()
    at.button(key="rl_vi_end").click().run()
    plan = next(f for f in figures(at) if f["layout"]["title"]["text"].startswith("V after"))
    assert plan["data"][0]["text"][0][2].startswith("←")  # 0.75, as the claim says: the +3 too


def test_stopped_training_shows_what_was_learned_so_far():
    from playground.rl import algorithms as alg
    from playground.rl import envs as rl_envs

    rows = rl_envs.GRID_PRESETS["Maze with a trap"]
    env = rl_envs.grid_world(rows)
    cfg = alg.AgentConfig("q_learning", 300, 0.5, 0.9, 0.1, 77)
    partial = next(alg.train_iter(env, cfg, report_every=40))
    key = ("train", ("Your grid world", tuple(rows), -0.1, False, "4x4"), cfg)
    at = run(rl_seed=77, rl_stopped=key, rl_partial=(key, partial))
    assert any("stopped after 40 of 300" in i.value for i in at.info)
    at.button(key="rl_restart").click().run()
    assert not any("stopped" in i.value for i in at.info)


def test_max_episodes_setting_bounds_training(monkeypatch):
    monkeypatch.setenv("PLAYGROUND_MAX_EPISODES", "200")
    at = run()
    episodes = at.slider(key="rl_episodes")
    assert episodes.max == 200 and episodes.value == 200


def test_compare_tab_reproduces_the_textbook():
    at = run(rl_tab="Compare on CliffWalking", cmp_runs=3)
    table = at.dataframe[0].value.set_index("algorithm")
    assert table.loc["Q-learning", "path steps (seed 0)"] == 13
    assert table.loc["SARSA", "path steps (seed 0)"] > 13
    assert table.loc["SARSA", "return/episode"] > table.loc["Q-learning", "return/episode"]
    assert table.loc["Q-learning", "on cliff edge"] == 1.0
    assert "Return per episode while learning" in titles(at)
    at.slider(key="cmp_epsilon").set_value(0.0).run()
    table = at.dataframe[0].value.set_index("algorithm")
    assert table.loc["SARSA", "path steps (seed 0)"] == 13  # the try-this claim
    assert table.loc["SARSA", "return/episode"] == table.loc["Q-learning", "return/episode"]


def test_bandit_tab_and_epsilon():
    at = run(rl_tab="Bandits", bd_rounds=1000, bd_runs=10)
    assert [m.label for m in at.metric] == ["ε-greedy", "UCB1", "Thompson sampling"]
    assert len(at.get("plotly_chart")) == 3
    before = at.metric[0].value
    at.slider(key="bd_epsilon").set_value(0.3).run()
    assert at.metric[0].value != before and not at.exception
    at.toggle(key="bd_reveal").set_value(True).run()
    assert "The best product is" in captions(at)


@pytest.mark.parametrize("tab", ["Grid world & Gymnasium", "Compare on CliffWalking", "Bandits"])
def test_only_the_open_tab_runs(tab):
    at = run(rl_tab=tab, cmp_runs=1, bd_rounds=200)
    keys = {s.key for s in at.slider}
    assert ("rl_gamma" in keys) == (tab == "Grid world & Gymnasium")
    assert ("cmp_epsilon" in keys) == (tab == "Compare on CliffWalking")
    assert ("bd_epsilon" in keys) == (tab == "Bandits")
