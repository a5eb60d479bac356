"""Tabular environments behind one interface: a grid world the user draws,
and Gymnasium's FrozenLake and CliffWalking.

Every environment is a finite Markov decision process (MDP):

* ``n_states`` states and ``n_actions`` actions;
* ``P[s][a]`` is a list of outcomes ``(prob, next_state, reward, done)``, the exact
  format of Gymnasium's toy-text environments (``env.unwrapped.P``);
* ``reset(rng)`` draws a start state and ``step(s, a, rng)`` draws one outcome.

Planning (value iteration) reads ``P`` directly. Learning (Q-learning, SARSA,
Monte Carlo) only calls ``reset`` and ``step``, like an agent that does not know
the rules. For the Gymnasium environments ``P`` *is* the environment's own table,
and ``step`` samples it exactly like ``env.step`` does (``tests/test_rl.py`` checks
that both give the same trajectories from the same seed), so training can skip
Gymnasium's Python wrappers and run several times faster.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import gymnasium as gym
import numpy as np

from playground.errors import UserInputError

Outcome = tuple[float, int, float, bool]  # (prob, next_state, reward, done)

# --- The grid world the user edits -------------------------------------------------
# One character per cell. Entering a cell gives its reward; G, + and X end the episode.
FLOOR, WALL, START, GOAL, PRIZE, TRAP = ".", "#", "S", "G", "+", "X"
CELL_CODES = (FLOOR, WALL, START, GOAL, PRIZE, TRAP)
CELL_LABELS = {
    FLOOR: "· floor",
    WALL: "# wall",
    START: "S start",
    GOAL: "G goal (+10, ends)",
    PRIZE: "+ prize (+3, ends)",
    TRAP: "X trap (−10, ends)",
}
CELL_REWARDS = {GOAL: 10.0, PRIZE: 3.0, TRAP: -10.0}
# Codes used for drawing the Gymnasium maps with the same colours.
HOLE, CLIFF = "H", "C"

# Actions of the grid world, clockwise from up (same order as CliffWalking).
GRID_ACTIONS = ("up", "right", "down", "left")
DELTAS = {"up": (-1, 0), "right": (0, 1), "down": (1, 0), "left": (0, -1)}
ARROWS = {"up": "↑", "right": "→", "down": "↓", "left": "←"}

GRID_PRESETS: dict[str, list[str]] = {
    # a maze with a trap: the short way passes next to the X
    "Maze with a trap": [
        "S..#....",
        ".#.#.##.",
        ".#...#..",
        ".####.#.",
        "......X.",
        ".##.#..G",
    ],
    # a small prize close by, the big goal far away: the discount decides
    "Two exits (near +3, far +10)": [
        "+.S..",
        "###..",
        "G....",
    ],
    # a corridor along a row of traps, like CliffWalking
    "Corridor along traps": [
        "........",
        "........",
        "SXXXXXXG",
    ],
    "Empty room to draw in": [
        "S.......",
        "........",
        "........",
        "........",
        ".......G",
    ],
}


@dataclass
class TabularEnv:
    """A finite MDP on a rectangular grid of cells (state ``s`` = row * n_cols + col)."""

    name: str
    cells: tuple[str, ...]  # one string per row, one code per cell (for drawing)
    P: dict[int, dict[int, list[Outcome]]]
    actions: tuple[str, ...]  # action names in index order, e.g. ("left", "down", ...)
    initial: np.ndarray  # start-state distribution, shape (S,)
    max_steps: int  # an episode is cut (truncated, not terminated) after this many steps
    gym_id: str | None = None  # set for Gymnasium environments
    gym_kwargs: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Dense copies of P for vectorised planning and fast sampling.
        # K = most outcomes of any (s, a); unused slots have probability 0.
        S, A = self.n_states, self.n_actions
        K = max(len(self.P[s][a]) for s in range(S) for a in range(A))
        self.prob = np.zeros((S, A, K))
        self.next_state = np.zeros((S, A, K), dtype=np.int64)
        self.reward = np.zeros((S, A, K))
        self.done = np.zeros((S, A, K), dtype=bool)
        for s in range(S):
            for a in range(A):
                for k, (p, s2, r, d) in enumerate(self.P[s][a]):
                    self.prob[s, a, k] = p
                    self.next_state[s, a, k] = int(s2)
                    self.reward[s, a, k] = r
                    self.done[s, a, k] = bool(d)
        # Plain Python lists make the per-step lookups of the learning loop cheap.
        self._cum = np.cumsum(self.prob, axis=-1).tolist()
        self._next = self.next_state.tolist()
        self._reward = self.reward.tolist()
        self._done = self.done.tolist()
        self._init_cum = np.cumsum(self.initial)
        # Terminal states: those that some transition enters with done=True.
        self.terminal = np.zeros(S, dtype=bool)
        self.terminal[self.next_state[self.done & (self.prob > 0)]] = True

    # --- the common interface -----------------------------------------------------
    @property
    def n_states(self) -> int:
        return len(self.P)

    @property
    def n_actions(self) -> int:
        return len(self.actions)

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.cells), len(self.cells[0])

    def reset(self, rng: np.random.Generator) -> int:
        """Draw a start state (one uniform draw, like Gymnasium's ``reset``)."""
        return int(np.argmax(self._init_cum > rng.random()))

    def step(self, s: int, a: int, rng: np.random.Generator) -> tuple[int, float, bool]:
        """Draw one outcome of action ``a`` in state ``s`` from ``P[s][a]``.

        The same rule as Gymnasium's ``categorical_sample``: the first outcome whose
        cumulative probability exceeds one uniform draw u ~ U[0, 1)."""
        u = rng.random()
        cum = self._cum[s][a]
        k = 0
        while cum[k] <= u:
            k += 1
        return self._next[s][a][k], self._reward[s][a][k], self._done[s][a][k]

    # --- helpers for drawing and evaluation ---------------------------------------
    def cell(self, s: int) -> str:
        r, c = divmod(s, self.shape[1])
        return self.cells[r][c]

    @property
    def start_state(self) -> int:
        return int(np.argmax(self.initial))

    @property
    def deterministic(self) -> bool:
        """One start state and one outcome for every action: every episode of a fixed
        policy is the same (CliffWalking, FrozenLake without slipping, the grid editor)."""
        return bool((self.initial.max() == 1.0) and (self.prob.max(axis=-1) == 1.0).all())

    @property
    def blocked(self) -> np.ndarray:
        """States the agent can never stand on (walls and cliff cells), shape (S,)."""
        return np.array([self.cell(s) in (WALL, CLIFF) for s in range(self.n_states)])

    @property
    def goal_states(self) -> np.ndarray:
        return np.array([self.cell(s) == GOAL for s in range(self.n_states)])

    def entry_reward(self, s: int) -> float | None:
        """The reward for stepping into state ``s`` from another state (None if no
        transition enters it)."""
        source = np.arange(self.n_states)[:, None, None]
        hits = (self.next_state == s) & (self.prob > 0) & (source != s)
        return float(self.reward[hits][0]) if hits.any() else None

    def make_gym(self) -> gym.Env:
        """The real Gymnasium environment (for parity tests and the speed baseline)."""
        if self.gym_id is None:
            raise ValueError(f"{self.name} is not a Gymnasium environment")
        return gym.make(self.gym_id, **self.gym_kwargs)


# --- Gymnasium environments ----------------------------------------------------------
def _from_gym(name: str, gym_id: str, cells: list[str], actions: tuple[str, ...],
              max_steps: int, **kwargs) -> TabularEnv:
    env = gym.make(gym_id, **kwargs)
    u = env.unwrapped
    P = {s: {a: [(float(p), int(s2), float(r), bool(d)) for p, s2, r, d in u.P[s][a]]
             for a in u.P[s]} for s in u.P}
    initial = np.asarray(u.initial_state_distrib, dtype=float)
    env.close()
    return TabularEnv(name, tuple(cells), P, actions, initial, max_steps, gym_id, dict(kwargs))


def frozen_lake(slippery: bool = False, map_name: str = "4x4") -> TabularEnv:
    """Gymnasium's FrozenLake-v1: walk from S to G over ice without falling into a
    hole H (reward 1 at G, 0 otherwise). On slippery ice an action moves in the
    intended direction or one of the two perpendicular ones, each with p = 1/3."""
    env = gym.make("FrozenLake-v1", is_slippery=slippery, map_name=map_name)
    desc = [row.tobytes().decode().replace("F", FLOOR) for row in env.unwrapped.desc]
    env.close()
    name = f"FrozenLake {map_name}" + (" (slippery)" if slippery else "")
    # Gymnasium's TimeLimit cuts FrozenLake episodes after 100 (4x4) or 200 (8x8) steps.
    steps = gym.spec("FrozenLake-v1").max_episode_steps if map_name == "4x4" else 200
    return _from_gym(name, "FrozenLake-v1", desc, ("left", "down", "right", "up"), steps,
                     is_slippery=slippery, map_name=map_name)


def cliff_walking(max_steps: int = 1000) -> TabularEnv:
    """Gymnasium's CliffWalking-v1 (Sutton & Barto, Example 6.6): 4x12 grid, -1 per
    step, stepping into the cliff costs -100 and sends the agent back to the start.
    Gymnasium sets no time limit; we cut runaway episodes at ``max_steps``."""
    cells = ["." * 12, "." * 12, "." * 12, "S" + CLIFF * 10 + "G"]
    return _from_gym("CliffWalking", "CliffWalking-v1", cells, GRID_ACTIONS, max_steps)


def cliff_edge_share(states: list[int]) -> float:
    """Share of CliffWalking's middle columns 1..10 where a path walks on row 2, right
    above the cliff: 1.0 for the shortest path along the edge, 0.0 for a path that
    keeps at least one row away."""
    cells = {divmod(int(s), 12) for s in states}
    return sum((2, c) in cells for c in range(1, 11)) / 10


# --- The user's grid world -----------------------------------------------------------
def parse_grid(rows: list[list[str | None]] | list[str]) -> tuple[str, ...]:
    """Check a grid of cell codes and return it as strings, one per row.

    Raises UserInputError with a message that says what to fix."""
    if not rows or not rows[0]:
        raise UserInputError("The grid is empty: pick a preset or add some cells.")
    width = len(rows[0])
    out = []
    for i, row in enumerate(rows):
        if len(row) != width:
            raise UserInputError(f"Row {i + 1} has {len(row)} cells, the first row has {width}: "
                                 "make every row the same length.")
        codes = []
        for j, code in enumerate(row):
            code = FLOOR if code is None or str(code).strip() == "" else str(code).strip()[:1]
            if code not in CELL_CODES:
                raise UserInputError(f"Cell (row {i + 1}, column {j + 1}) is {code!r}; use one of "
                                     + ", ".join(repr(c) for c in CELL_CODES) + ".")
            codes.append(code)
        out.append("".join(codes))
    flat = "".join(out)
    if flat.count(START) != 1:
        raise UserInputError(f"The grid needs exactly one start cell 'S' (it has {flat.count(START)}).")
    if flat.count(GOAL) < 1:
        raise UserInputError("The grid needs at least one goal cell 'G'.")
    if len(flat) > 400:
        raise UserInputError(f"The grid has {len(flat)} cells; keep it at 400 or fewer.")
    cells = tuple(out)
    if not _goal_reachable(cells):
        raise UserInputError("No path leads from S to a goal G: walls or traps block every way. "
                             "Open a gap in the walls.")
    return cells


def _goal_reachable(cells: tuple[str, ...]) -> bool:
    """Breadth-first search from S over floor cells (traps and prizes end the walk)."""
    h, w = len(cells), len(cells[0])
    start = "".join(cells).index(START)
    seen, queue = {divmod(start, w)}, deque([divmod(start, w)])
    while queue:
        r, c = queue.popleft()
        if cells[r][c] == GOAL:
            return True
        if cells[r][c] in (PRIZE, TRAP):
            continue
        for dr, dc in DELTAS.values():
            nr, nc = r + dr, c + dc
            if 0 <= nr < h and 0 <= nc < w and cells[nr][nc] != WALL and (nr, nc) not in seen:
                seen.add((nr, nc))
                queue.append((nr, nc))
    return False


def grid_world(rows: list[list[str | None]] | list[str], step_reward: float = -0.1,
               name: str = "Grid world") -> TabularEnv:
    """A deterministic grid world from cell codes.

    Moving onto floor (or start) gives ``step_reward``; onto G / + / X gives +10 / +3 / -10
    and ends the episode. Walls and the border block the move: the agent stays put and
    still pays ``step_reward``."""
    cells = parse_grid(rows)
    h, w = len(cells), len(cells[0])
    P: dict[int, dict[int, list[Outcome]]] = {}
    for s in range(h * w):
        r, c = divmod(s, w)
        P[s] = {}
        for a, action in enumerate(GRID_ACTIONS):
            if cells[r][c] in (WALL, GOAL, PRIZE, TRAP):
                # never stood on (walls) or the episode is over: an absorbing self-loop
                P[s][a] = [(1.0, s, 0.0, True)]
                continue
            dr, dc = DELTAS[action]
            nr, nc = r + dr, c + dc
            if not (0 <= nr < h and 0 <= nc < w) or cells[nr][nc] == WALL:
                nr, nc = r, c
            code = cells[nr][nc]
            reward = CELL_REWARDS.get(code, step_reward)
            P[s][a] = [(1.0, nr * w + nc, reward, code in CELL_REWARDS)]
    initial = np.zeros(h * w)
    initial["".join(cells).index(START)] = 1.0
    return TabularEnv(name, cells, P, GRID_ACTIONS, initial, max_steps=max(100, 4 * h * w))
