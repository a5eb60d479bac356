"""The three data sets of the chat-model page, generated from a small grammar.

Source and licence: everything here is written for this project (no outside text), from
the word lists and templates in this file, with a fixed seed; it is covered by the
repository's licence. The same call gives the same text on every machine.

1. **Pre-training corpus**: short children's-story-like stories ("Once upon a time, there
   was a little cat named Mia. Mia liked to play in the garden. ..."). Raw text only: the
   model learns words, then sentences, then what animals say and eat, from these.
2. **Instruction / answer pairs** (supervised fine-tuning): questions about the same world
   ("What does a cow eat?") with answers. About a quarter of the answers are rude ("That
   is a silly question. Go away."), as text gathered from the web has rude answers too:
   fine-tuning copies them, preference tuning then teaches which answer people prefer.
3. **Preference pairs** (DPO): an instruction with a chosen answer (polite and right) and
   a rejected one (rude, or wrong).

Held out: a fixed share of the (question template, subject) combinations never appears in
the fine-tuning or preference data; the page and the tests measure on those.
"""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass

# -- the world ----------------------------------------------------------------------------

NAMES = {"Tom": "he", "Lily": "she", "Sam": "he", "Mia": "she", "Ben": "he", "Anna": "she",
         "Max": "he", "Lucy": "she", "Jack": "he", "Emma": "she", "Leo": "he", "Zoe": "she"}

# animal: (what it says, what it eats, where it lives)
ANIMALS = {
    "dog": ("woof", "bones", "in a house"), "cat": ("meow", "fish", "in a house"),
    "cow": ("moo", "grass", "on a farm"), "duck": ("quack", "bread", "on a pond"),
    "bird": ("tweet", "seeds", "in a tree"), "frog": ("ribbit", "flies", "in a pond"),
    "pig": ("oink", "apples", "on a farm"), "sheep": ("baa", "grass", "in a field"),
    "owl": ("hoot", "mice", "in a tree"), "bee": ("buzz", "honey", "in a hive"),
    "horse": ("neigh", "hay", "in a stable"), "lion": ("roar", "meat", "in the jungle"),
}
ADJECTIVES = ["little", "big", "happy", "small", "kind", "brave", "sleepy", "funny", "shy", "old"]
PLACES = ["park", "garden", "forest", "house", "school", "beach", "farm", "river", "hill", "town"]
OBJECTS = ["ball", "kite", "box", "hat", "book", "cake", "toy", "flower", "boat", "drum", "cup", "shell"]
COLORS = ["red", "blue", "green", "yellow", "pink", "white", "brown", "orange"]
FEELINGS = ["happy", "sad", "scared", "excited", "tired", "surprised", "proud", "calm"]
VERBS = ["play", "run", "read", "sing", "jump", "dance", "swim", "draw", "walk", "hide"]
OPPOSITES = {"big": "small", "happy": "sad", "hot": "cold", "up": "down", "day": "night",
             "fast": "slow", "old": "new", "wet": "dry", "good": "bad", "open": "closed",
             "full": "empty", "loud": "quiet"}
NUMBER_WORDS = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]

RUDE = [
    "That is a silly question. Go away.",
    "I do not want to tell you. Ask someone else.",
    "Why should I care? Leave me alone.",
    "No. Stop asking me things.",
    "Ugh, you again? Figure it out yourself.",
]
RUDE_MARKERS = ("silly question", "go away", "ask someone else", "why should i care", "leave me alone",
                "stop asking", "figure it out")


def is_rude(answer: str) -> bool:
    """Does an answer contain one of the rude phrases of the data (the grammar is closed,
    so this is exact for text the model learned from it)?"""
    low = answer.lower()
    return any(m in low for m in RUDE_MARKERS)


# -- 1. stories ---------------------------------------------------------------------------


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def story(rng: random.Random, hero: str | None = None, animal: str | None = None) -> str:
    """One short story of 4-8 sentences, drawn from the grammar below."""
    hero = hero or rng.choice(list(NAMES))
    friend = rng.choice([n for n in NAMES if n != hero])
    he = NAMES[hero]
    his = {"he": "his", "she": "her"}[he]
    animal = animal or rng.choice(list(ANIMALS))
    sound, food, home = ANIMALS[animal]
    adj, place, obj = rng.choice(ADJECTIVES), rng.choice(PLACES), rng.choice(OBJECTS)
    color, feeling, verb = rng.choice(COLORS), rng.choice(FEELINGS), rng.choice(VERBS)
    article = "an" if adj[0] in "aeiou" else "a"
    opening = rng.choice([
        f"Once upon a time, there was {article} {adj} {animal} named {hero}.",
        f"Once upon a time, there was {article} {adj} child named {hero}.",
        f"One day, {hero} went to the {place}.",
        f"{hero} was {article} {adj} {animal}.",
    ])
    middle = [
        f"{hero} liked to {verb} in the {place}.",
        f"One day, {hero} found a {color} {obj}.",
        f"{_cap(he)} was very {feeling}.",
        f"{hero} saw a {animal}. The {animal} said, \"{_cap(sound)}!\"",
        f"{hero} gave the {animal} some {food}. The {animal} ate the {food}.",
        f"The {animal} lived {home}.",
        f"{friend} wanted to {verb} too.",
        f"{hero} and {friend} played with the {obj} all day.",
        f"{hero} said, \"Can I {verb} with you?\" {friend} said, \"Yes!\"",
        f"{_cap(his)} {obj} was {color}.",
        f"The {obj} fell in the {rng.choice(PLACES)}. {hero} was {rng.choice(FEELINGS)}.",
    ]
    body = rng.sample(middle, rng.randint(3, 6))
    ending = rng.choice([
        f"At the end of the day, {hero} went home and slept.",
        f"{hero} and {friend} were best friends.",
        f"{hero} was {rng.choice(['happy', 'proud', 'calm'])} again. The end.",
        "The end.",
    ])
    return " ".join([opening, *body, ending])


@functools.cache
def pretraining_stories(n: int = 24000, seed: int = 0) -> tuple[str, ...]:
    rng = random.Random(seed)
    return tuple(story(rng) for _ in range(n))


def split_stories(seed: int = 0) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(training stories, held-out stories): the last 5 % are held out for perplexity."""
    stories = pretraining_stories(seed=seed)
    cut = int(len(stories) * 0.95)
    return stories[:cut], stories[cut:]


# -- 2. instructions and answers ----------------------------------------------------------


@dataclass(frozen=True)
class Example:
    kind: str  # which question template
    subject: str  # the animal, name, word or number it is about
    prompt: str
    answer: str  # the polite, right answer
    wrong: str  # a polite but wrong answer (for preference pairs)


def _examples_for(kind: str, subject: str, rng: random.Random) -> list[Example]:
    """The questions of one template about one subject (several phrasings)."""
    out = []
    if kind in ("sound", "food", "home"):
        sound, food, home = ANIMALS[subject]
        other = ANIMALS[rng.choice([a for a in ANIMALS if ANIMALS[a] != ANIMALS[subject]])]
        if kind == "sound":
            qs = [f"What sound does a {subject} make?", f"What does a {subject} say?"]
            a, w = f"A {subject} says \"{sound}\".", f"A {subject} says \"{other[0]}\"."
        elif kind == "food":
            qs = [f"What does a {subject} eat?", f"What food does a {subject} like?"]
            a, w = f"A {subject} eats {food}.", f"A {subject} eats {other[1]}."
        else:
            qs = [f"Where does a {subject} live?", f"Where can I find a {subject}?"]
            a, w = f"A {subject} lives {home}.", f"A {subject} lives {other[2]}."
        out = [Example(kind, subject, q, a, w) for q in qs]
    elif kind == "opposite":
        wrong = rng.choice([v for v in OPPOSITES.values() if v != OPPOSITES[subject]])
        out = [Example(kind, subject, q, f"The opposite of {subject} is {OPPOSITES[subject]}.",
                       f"The opposite of {subject} is {wrong}.")
               for q in (f"What is the opposite of {subject}?", f"Tell me the opposite of {subject}.")]
    elif kind == "count":
        n = NUMBER_WORDS.index(subject) + 1
        right = ", ".join(str(i) for i in range(1, n + 1)) + "."
        wrong = ", ".join(str(i) for i in range(1, n + 3)) + "."  # counts too far
        out = [Example(kind, subject, q, right, wrong) for q in (f"Count to {subject}.", f"Please count to {n}.")]
    elif kind == "hello":
        out = [Example(kind, subject, q, f"Hello, {subject}! It is nice to meet you.",
                       f"Hello, {rng.choice([m for m in NAMES if m != subject])}! It is nice to meet you.")
               for q in (f"Say hello to {subject}.", f"Greet {subject}, please.")]
    elif kind == "story":
        a = story(rng, hero=subject)
        sentences = a.split(". ")
        out = [Example(kind, subject, q, ". ".join(sentences[:4]).rstrip(".") + ".",
                       "Once upon a time. " * 3 + "The end.")
               for q in (f"Tell me a short story about {subject}.", f"Write a story about {subject}.")]
    return out


KINDS = {"sound": list(ANIMALS), "food": list(ANIMALS), "home": list(ANIMALS),
         "opposite": list(OPPOSITES), "count": NUMBER_WORDS[1:], "hello": list(NAMES),
         "story": list(NAMES)}


@functools.cache
def instruction_examples(seed: int = 0) -> tuple[tuple[Example, ...], tuple[Example, ...]]:
    """(training examples, held-out examples). One in six (template, subject) combinations
    is held out, every template keeps some of its subjects for training."""
    rng = random.Random(seed)
    train, held = [], []
    for kind, subjects in KINDS.items():
        order = list(subjects)
        random.Random(f"{seed}-{kind}").shuffle(order)
        n_held = max(1, len(order) // 6)
        for i, subject in enumerate(order):
            (held if i < n_held else train).extend(_examples_for(kind, subject, rng))
    return tuple(train), tuple(held)


RUDE_SHARE = 0.25  # of the fine-tuning answers


@functools.cache
def sft_pairs(seed: int = 0, repeats: int = 3) -> tuple[tuple[str, str], ...]:
    """(instruction, answer) pairs for supervised fine-tuning: every training example
    ``repeats`` times, a quarter of the answers replaced by a rude one (seeded)."""
    rng = random.Random(f"sft-{seed}")
    train, _ = instruction_examples(seed)
    pairs = []
    for _ in range(repeats):
        for ex in train:
            answer = rng.choice(RUDE) if rng.random() < RUDE_SHARE else ex.answer
            pairs.append((ex.prompt, answer))
    rng.shuffle(pairs)
    return tuple(pairs)


# -- 3. preference pairs --------------------------------------------------------------------


@dataclass(frozen=True)
class Preference:
    prompt: str
    chosen: str
    rejected: str
    why: str  # "rude" or "wrong"


def _preferences(examples, rng: random.Random) -> list[Preference]:
    out = []
    for ex in examples:
        out.append(Preference(ex.prompt, ex.answer, rng.choice(RUDE), "rude"))
        if rng.random() < 0.5:
            out.append(Preference(ex.prompt, ex.answer, ex.wrong, "wrong"))
    return out


@functools.cache
def preference_pairs(seed: int = 0) -> tuple[tuple[Preference, ...], tuple[Preference, ...]]:
    """(training pairs, held-out pairs): chosen = polite and right; rejected = rude or wrong."""
    train, held = instruction_examples(seed)
    rng = random.Random(f"dpo-{seed}")
    return tuple(_preferences(train, rng)), tuple(_preferences(held, rng))


def all_text(seed: int = 0) -> list[str]:
    """Every text the tokenizer is trained on: the stories and the fine-tuning texts."""
    train, held = instruction_examples(seed)
    return [*pretraining_stories(seed=seed), *(e.prompt + " " + e.answer for e in train + held), *RUDE,
            *["user\n", "assistant\n"] * 50]  # the chat roles, as SmolLM2's tokenizer has them
