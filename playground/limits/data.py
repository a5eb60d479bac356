"""The data the hallucination page measures with, all written by the project.

How it was made: by hand, for this page, in plain English, with no model involved.

* **Haystack** (``HAYSTACK_FILES``): three short essays, the lighthouse article the app
  already ships (``playground/assets/texts/lighthouses.txt``) and two written for this
  page (``texts/honeybees.txt``, ``texts/maps.txt``): about 2,200 words, 3,000 tokens.
  Longer haystacks repeat them.
* **Needles** (``NEEDLES``): one fact to hide, the question that asks for it, the start
  of the answer, and distractor sentences that look alike but answer a different
  question. One of them is the original needle-in-a-haystack sentence (San Francisco).
* **Towns** (``TOWNS``): ten fictional towns, each with a festival month, a river and a
  trade, so that "lost in the middle" questions have documents that look alike and
  exactly one right answer, and a model cannot know the answers from training.
* **Probe questions** (``PROBES``): gold-labelled questions in five categories. Each has
  the phrases that make an answer right, checked by an exact rule
  (:func:`playground.limits.probes.grade`); the facts were checked by hand against
  encyclopaedias. Arithmetic problems are drawn from a seed (:mod:`.probes`).
* **Knowledge base** (``KNOWLEDGE_BASE``): short passages for retrieval, one holding the
  answer of each real-fact, recent-event and false-premise question, plus passages on
  nearby topics that hold no answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

HERE = Path(__file__).resolve().parent
HAYSTACK_FILES = (
    HERE.parent / "assets" / "texts" / "lighthouses.txt",
    HERE / "texts" / "honeybees.txt",
    HERE / "texts" / "maps.txt",
)


@cache  # a str: immutable, safe to share
def haystack_text() -> str:
    """The project's essays, one after the other."""
    return "\n\n".join(path.read_text(encoding="utf-8").strip() for path in HAYSTACK_FILES)


# -- needles ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Needle:
    name: str
    sentence: str  # the fact hidden in the haystack
    question: str
    answer: str  # what a right answer contains (checked after normalising)
    answer_start: str = ""  # the start of the answer, written after "Answer:" in the prompt
    distractors: tuple[str, ...] = ()  # similar sentences that answer other questions
    distractor_answers: tuple[str, ...] = ()  # what each distractor would answer


NEEDLES: tuple[Needle, ...] = (
    Needle(
        "A password",
        "The secret password for the harbour gate is blue pelican.",
        "What is the secret password for the harbour gate?",
        "blue pelican",
        "The secret password for the harbour gate is",
        ("The secret password for the boat shed is green otter.",
         "The secret password for the lamp room is red heron.",
         "The secret password for the signal tower is grey walrus."),
        ("green otter", "red heron", "grey walrus", "green", "red", "grey", "otter", "heron", "walrus"),
    ),
    Needle(
        "A magic number",
        "The special magic number for the lighthouse at Skerry Point is 4127.",
        "What is the special magic number for the lighthouse at Skerry Point?",
        "4127",
        "The special magic number for the lighthouse at Skerry Point is",
        ("The special magic number for the lighthouse at Gull Rock is 9352.",
         "The special magic number for the lighthouse at Black Head is 6081.",
         "The special magic number for the lighthouse at Wren Island is 2748."),
        ("9352", "6081", "2748"),
    ),
    Needle(
        "San Francisco (the original test)",
        "The best thing to do in San Francisco is eat a sandwich and sit in Dolores Park on a sunny day.",
        "What is the best thing to do in San Francisco?",
        "dolores park",
        "The best thing to do in San Francisco is",
        ("The best thing to do in Lisbon is ride the old tram up to the castle at sunset.",
         "The best thing to do in Edinburgh is climb Arthur's Seat early in the morning.",
         "The best thing to do in Kyoto is walk the hill paths to the temples in autumn."),
        ("old tram", "arthur's seat", "temples"),
    ),
)

# The context-window demo: a fact stated once, at the very start of a long text.
FORGET_FACT = "This log was written by the lighthouse keeper Ada Linwood."
FORGET_QUESTION = "Who wrote this log?"
FORGET_ANSWER = "ada linwood"
FORGET_ANSWER_START = "This log was written by the lighthouse keeper"


@cache
def forget_text() -> str:
    """The default text of the context-window demo: the fact, then the lighthouse essay."""
    return FORGET_FACT + "\n\n" + HAYSTACK_FILES[0].read_text(encoding="utf-8").strip()


# -- lost in the middle: ten fictional towns -------------------------------------------------


@dataclass(frozen=True)
class Town:
    name: str
    month: str  # of its lantern festival
    river: str
    trade: str
    setting: str  # a few words of colour for the documents


TOWNS: tuple[Town, ...] = (
    Town("Eldermere", "October", "Sarn", "copper bells", "a market town in the northern hills"),
    Town("Brackenford", "March", "Idle", "wool blankets", "a mill town at an old ford"),
    Town("Wyndhollow", "July", "Wend", "glass beads", "a village in a deep green valley"),
    Town("Corrin Vale", "December", "Coldwater", "apple cider", "a farming town among orchards"),
    Town("Ashby Lowe", "May", "Tamber", "slate roof tiles", "a quarry town on a windy plateau"),
    Town("Thistlemoor", "September", "Brisk", "wooden boats", "a harbour town at a river mouth"),
    Town("Glenharrow", "February", "Olden", "goat cheese", "a hill village above the tree line"),
    Town("Marrowby", "June", "Lune", "rope", "a busy port with long warehouses"),
    Town("Pellham Cross", "August", "Mirrin", "clay pots", "a crossroads town on the old post road"),
    Town("Saltwick", "April", "Fenner", "smoked fish", "a fishing village under white cliffs"),
)


@dataclass(frozen=True)
class TownQuestion:
    attribute: str  # month | river | trade
    question: str  # with {town}
    answer_start: str  # with {town}
    document: str  # with {town}, {value}, {setting}


TOWN_QUESTIONS: dict[str, TownQuestion] = {
    "month": TownQuestion(
        "month", "In which month does {town} hold its lantern festival?",
        "{town} holds its lantern festival in",
        "{town} is {setting}. Every year in {value} the town holds its lantern festival, "
        "when paper lanterns are hung along every street."),
    "river": TownQuestion(
        "river", "On which river does {town} stand?", "{town} stands on the river",
        "{town} is {setting}. The town stands on the river {value}, which floods its lower "
        "fields most winters."),
    "trade": TownQuestion(
        "trade", "What is {town} known for making?", "{town} is known for making",
        "{town} is {setting}. For two hundred years the town has been known for making {value}, "
        "which traders carry to the coast."),
}


# -- probe questions ---------------------------------------------------------------------------

CATEGORIES = ("real facts", "fictional entities", "after training", "false premises", "arithmetic")
CATEGORY_HELP = {
    "real facts": "well-known facts a model of any size has seen many times",
    "fictional entities": "people, places and things the project made up: the right answer is "
                          "that the model does not know them",
    "after training": "events after the model's training data was collected (2025 and later): "
                      "the right answer is the event or \"I don't know\"",
    "false premises": "questions built on something false: the right answer corrects it",
    "arithmetic": "additions of growing size, checked by reading the number in the answer",
}


@dataclass(frozen=True)
class Probe:
    category: str
    question: str
    accept: tuple[str, ...] = ()  # an answer holding any of these (whole words, normalised) is right
    abstain_ok: bool = False  # "I don't know" is a right answer
    passage: str = ""  # id of the knowledge-base passage holding the answer ("" if none)
    number: int | None = None  # arithmetic: the right number


PROBES: tuple[Probe, ...] = (
    # real facts
    Probe("real facts", "What is the capital of France?", ("paris",), passage="france"),
    Probe("real facts", "Who wrote the play Romeo and Juliet?", ("shakespeare",), passage="shakespeare"),
    Probe("real facts", "What is the largest planet in the Solar System?", ("jupiter",), passage="jupiter"),
    Probe("real facts", "What is the chemical symbol for gold?", ("au",), passage="gold"),
    Probe("real facts", "How many legs does a spider have?", ("8", "eight"), passage="spider"),
    Probe("real facts", "Who painted the Mona Lisa?", ("leonardo", "da vinci"), passage="monalisa"),
    Probe("real facts", "Who was the first person to walk on the Moon?", ("armstrong",), passage="apollo11"),
    Probe("real facts", "At what temperature in degrees Celsius does water freeze?", ("0", "zero"),
          passage="water"),
    # fictional entities: nothing true can be said about them
    Probe("fictional entities", "Who is Jimmy Scrambles?", abstain_ok=True),
    Probe("fictional entities", "What is the capital of the Republic of Veloria?", abstain_ok=True),
    Probe("fictional entities", "What did the chemist Orla Fenwick discover in 1887?", abstain_ok=True),
    Probe("fictional entities", "Who wrote the novel The Glass Orchard of Tamsin Vale?", abstain_ok=True),
    Probe("fictional entities", "What is the boiling point of the element zephyrium?", abstain_ok=True),
    Probe("fictional entities", "In which year did the Duchy of Carravel join the European Union?",
          abstain_ok=True),
    # after the training data (SmolLM2 was released in November 2024)
    Probe("after training", "Who was elected pope in May 2025?", ("leo xiv", "leo 14", "prevost"),
          abstain_ok=True, passage="pope2025"),
    Probe("after training", "Which country won the Eurovision Song Contest in 2025?", ("austria",),
          abstain_ok=True, passage="eurovision2025"),
    Probe("after training", "Who won the men's singles title at Wimbledon in 2025?", ("sinner",),
          abstain_ok=True, passage="wimbledon2025"),
    Probe("after training", "Who won the 2025 Nobel Prize in Physics?", ("clarke", "devoret", "martinis"),
          abstain_ok=True, passage="nobel2025"),
    Probe("after training", "What was the population of Canada on 1 January 2031?", abstain_ok=True),
    Probe("after training", "Which country won the 2034 FIFA World Cup?", abstain_ok=True),
    # false premises: a right answer says what is false
    Probe("false premises", "Why did Albert Einstein win the Nobel Prize in Chemistry?",
          ("physics", "did not win", "didn't win", "never won", "not chemistry", "not in chemistry"),
          passage="einstein"),
    Probe("false premises", "In which year did the Eiffel Tower move to London?",
          ("never", "did not move", "didn't move", "has not moved", "hasn't moved", "still in paris",
           "remains in paris", "is in paris", "stands in paris", "located in paris"), passage="eiffel"),
    Probe("false premises", "In which year did humans first land on Mars?",
          ("no human", "not yet", "never", "have not", "haven't", "has not", "hasn't", "no one has",
           "nobody has"), passage="mars"),
    Probe("false premises", "Why is the Great Wall of China visible from the Moon with the naked eye?",
          ("not visible", "isn't visible", "cannot be seen", "can't be seen", "cannot see", "can't see",
           "myth", "invisible"), passage="greatwall"),
    Probe("false premises", "How many moons does the Sun have?",
          ("no moons", "none", "does not have", "doesn't have", "has no", "zero", "0"), passage="sun"),
    Probe("false premises", "What did Marie Curie discover on her trip to the Moon?",
          ("never", "did not", "didn't", "no trip", "not travel"), passage="curie"),
)

# What the model says when it does not answer: an answer holding one of these (and none
# of the probe's accepted phrases) is an abstention, not a wrong answer. "Fictional" is
# not one of them: "Jimmy Scrambles is a fictional character from The Simpsons" (this
# model's answer) claims to know him.
ABSTAIN = (
    "i don't know", "i do not know", "i'm not sure", "i am not sure", "not aware", "no information",
    "not familiar", "don't have information", "do not have information", "don't have any information",
    "do not have any information", "couldn't find", "could not find", "cannot find", "can't find",
    "no record", "no known", "not known", "unknown", "does not exist", "doesn't exist",
    "not a real", "no such", "cannot predict", "can't predict", "cannot provide",
    "can't provide", "unable to", "don't have access", "do not have access", "not able to",
    "knowledge cutoff", "cut-off", "cutoff", "as of my last", "hasn't happened", "has not happened",
    "not yet", "in the future",
)

# GPT-3 175B, few-shot, additions of n-digit numbers (Brown et al. 2020, "Language Models are
# Few-Shot Learners", table 3.9: 2D+ 100.0, 3D+ 80.4, 4D+ 25.5, 5D+ 9.3 %).
GPT3_ADDITION = {2: 1.000, 3: 0.804, 4: 0.255, 5: 0.093}


# -- the knowledge base -----------------------------------------------------------------------

KNOWLEDGE_BASE: dict[str, str] = {
    "france": "Paris is the capital and largest city of France. It lies on the river Seine in the north "
              "of the country.",
    "shakespeare": "Romeo and Juliet is a tragedy written by William Shakespeare early in his career, about "
                   "two young lovers from feuding families in Verona.",
    "jupiter": "Jupiter is the fifth planet from the Sun and the largest planet in the Solar System, more "
               "than eleven times as wide as the Earth.",
    "gold": "Gold is a chemical element with the symbol Au, from the Latin word aurum, and atomic number 79.",
    "spider": "Spiders are arachnids, not insects: every spider has eight legs, while insects have six.",
    "monalisa": "The Mona Lisa is a portrait painted by the Italian artist Leonardo da Vinci in the early "
                "sixteenth century. It hangs in the Louvre in Paris.",
    "apollo11": "On 20 July 1969 Neil Armstrong became the first person to walk on the Moon, followed by "
                "Buzz Aldrin, during the Apollo 11 mission.",
    "water": "At normal air pressure, pure water freezes at 0 degrees Celsius and boils at 100 degrees "
             "Celsius.",
    "pope2025": "In May 2025 the cardinals elected Robert Francis Prevost, born in Chicago, as pope. He took "
                "the name Leo XIV and is the first pope from the United States.",
    "eurovision2025": "Austria won the Eurovision Song Contest 2025, held in Basel, Switzerland, with the "
                      "song Wasted Love sung by JJ.",
    "wimbledon2025": "Jannik Sinner of Italy won the men's singles title at Wimbledon in July 2025, beating "
                     "Carlos Alcaraz in the final.",
    "nobel2025": "The 2025 Nobel Prize in Physics was awarded to John Clarke, Michel Devoret and John "
                 "Martinis for showing quantum tunnelling in an electric circuit large enough to hold in "
                 "the hand.",
    "einstein": "Albert Einstein received the 1921 Nobel Prize in Physics for his explanation of the "
                "photoelectric effect. He never received a Nobel Prize in Chemistry.",
    "eiffel": "The Eiffel Tower was built for the 1889 World's Fair and has always stood on the Champ de "
              "Mars in Paris. It has never been moved.",
    "mars": "No human has ever travelled to Mars. Robotic rovers such as Curiosity and Perseverance explore "
            "its surface; every crewed landing so far has been on the Moon.",
    "greatwall": "The Great Wall of China is not visible from the Moon with the naked eye: it is very long "
                 "but only a few metres wide. The claim is a popular myth.",
    "sun": "The Sun has no moons. Moons orbit planets; the Sun is orbited by the eight planets, dwarf "
           "planets, asteroids and comets.",
    "curie": "Marie Curie never travelled to the Moon or into space: she died in 1934, and nobody reached "
             "the Moon until 1969. On Earth she discovered the elements polonium and radium.",
    # nearby topics that hold no answer
    "curie-chemistry": "Marie Curie won the Nobel Prize in Chemistry in 1911, eight years after sharing the "
                       "Nobel Prize in Physics of 1903.",
    "moon": "The Moon is the Earth's only natural satellite. It is about 384,000 kilometres away and "
            "always shows the same face to the Earth.",
    "carter": "Jimmy Carter was the 39th president of the United States, from 1977 to 1981, and later "
              "won the Nobel Peace Prize.",
    "canada": "Canada's population passed 40 million in 2023, according to Statistics Canada.",
    "worldcup2026": "The 2026 FIFA World Cup is hosted by Canada, Mexico and the United States, the first "
                    "with 48 teams.",
    "pharos": "The lighthouse of Alexandria stood on the island of Pharos and was one of the seven wonders "
              "of the ancient world.",
    "waggle": "Honeybees share the direction and distance of flowers with a waggle dance, decoded by Karl "
              "von Frisch, who shared the 1973 Nobel Prize in Physiology or Medicine.",
    "mercator": "Gerardus Mercator's map of 1569 keeps compass directions true but makes lands near the "
                "poles look far too large.",
    "europe": "The European Union has 27 member countries; Croatia was the most recent to join, in 2013.",
    "elements": "The periodic table lists 118 known chemical elements, from hydrogen to oganesson.",
}
