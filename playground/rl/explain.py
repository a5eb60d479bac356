"""Updates worked out with their real numbers, as LaTeX for the page to show."""

from __future__ import annotations

from playground.rl.algorithms import Backup, Update
from playground.rl.envs import TabularEnv


def _n(x: float) -> str:
    """A number for an equation: 3 decimals, negatives in brackets."""
    if abs(x - round(x)) < 1e-9:
        s = f"{x:.0f}"
    elif abs(x) < 0.001:
        s = f"{x:.2g}"
    else:
        s = f"{x:.3f}".rstrip("0").rstrip(".")
    return f"({s})" if x < 0 else s


def state_name(env: TabularEnv, s: int) -> str:
    r, c = divmod(s, env.shape[1])
    return f"(\\text{{row }}{r},\\ \\text{{col }}{c})"


def td_update_latex(env: TabularEnv, u: Update, method: str, gamma: float) -> list[str]:
    """Q-learning or SARSA: the transition, the update rule, then the rule with the
    numbers substituted. One LaTeX string per displayed block."""
    a = env.actions[u.action]
    lines = [f"s = {state_name(env, u.state)},\\quad a = \\text{{{a}}},\\quad r = {_n(u.reward)},"
             f"\\quad s' = {state_name(env, u.next_state)}"]
    if method == "sarsa":
        rule = r"Q(s,a) &\leftarrow Q(s,a) + \alpha\,\big[\,r + \gamma\, Q(s',a') - Q(s,a)\,\big]"
    else:
        rule = r"Q(s,a) &\leftarrow Q(s,a) + \alpha\,\big[\,r + \gamma \max_{a'} Q(s',a') - Q(s,a)\,\big]"
    if u.done:  # s' ends the episode: the future term is 0
        sub = f"&= {_n(u.q_before)} + {_n(u.step_size)}\\,\\big[\\,{_n(u.reward)} - {_n(u.q_before)}\\,\\big]"
    else:
        q_next = u.next_q[u.next_action]
        sub = (f"&= {_n(u.q_before)} + {_n(u.step_size)}\\,\\big[\\,{_n(u.reward)} + {_n(gamma)} \\times "
               f"{_n(q_next)} - {_n(u.q_before)}\\,\\big]")
    result = (f"&= {_n(u.q_before)} + {_n(u.step_size)} \\times {_n(u.target - u.q_before)} "
              f"= \\mathbf{{{u.q_after:.4f}}}")
    return [lines[0], "\\begin{aligned}" + rule + r"\\" + sub + r"\\" + result + "\\end{aligned}"]


def mc_update_latex(env: TabularEnv, u: Update) -> list[str]:
    """First-visit Monte Carlo: move Q(s,a) 1/N of the way to the return G."""
    a = env.actions[u.action]
    n = round(1 / u.step_size)
    head = (f"s = {state_name(env, u.state)},\\quad a = \\text{{{a}}},\\quad G = {_n(u.reward)},"
            f"\\quad N(s,a) = {n}")
    body = (r"\begin{aligned}Q(s,a) &\leftarrow Q(s,a) + \tfrac{1}{N(s,a)}\,\big[\,G - Q(s,a)\,\big]\\"
            f"&= {_n(u.q_before)} + \\tfrac{{1}}{{{n}}}\\,\\big[\\,{_n(u.target)} - {_n(u.q_before)}\\,\\big]"
            f" = \\mathbf{{{u.q_after:.4f}}}\\end{{aligned}}")
    return [head, body]


def backup_latex(env: TabularEnv, b: Backup) -> list[str]:
    """V_{k+1}(s) = max_a sum_outcomes p [r + gamma V_k(s')], one line per action."""
    rows = []
    for a, (terms, q) in enumerate(zip(b.terms, b.q)):
        parts = []
        for p, r, v, _s2 in terms:
            inner = f"{_n(r)} + {_n(b.gamma)} \\times {_n(v)}"
            parts.append(inner if abs(p - 1) < 1e-12 else f"{p:.2f}\\,[{inner}]")
        rows.append(f"\\text{{{env.actions[a]}}}: &\\ {' + '.join(parts)} = {_n(q)}")
    best = max(range(len(b.q)), key=lambda i: b.q[i])
    head = (f"V_{{k+1}}{state_name(env, b.state)} = \\max_a \\sum p\\,\\big[r + \\gamma\\, V_k(s')\\big]"
            f" = \\mathbf{{{b.new_value:.3f}}}\\ (\\text{{{env.actions[best]}}})")
    return [head, r"\begin{aligned}" + r"\\".join(rows) + r"\end{aligned}"]
