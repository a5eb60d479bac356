"""What fine-tuning does not do: teach a handful of new facts.

Six facts about six shops that do not exist (Brindlewood, Ashgrove, ...), so the model
cannot know them.
Two ways to give them to the model:

* **in the prompt**: the six sentences go before the question (the model stays as it is);
* **fine-tuning**: this session's copy of the model trains on the six sentences, with
  the language-modelling loss (predict every next token), then answers without them.

Then the same questions for the model as it is, with the facts in its prompt, and for the
fine-tuned copy, scored like the classifier's labels (every candidate answer is a
continuation; the most likely one is the model's answer), asked four ways:

1. **word for word**: complete the statement ("... from its warehouse in");
2. **another way**: "From which city does Brindlewood send its parcels?";
3. **backwards**: "Which company sends all of its parcels from Tallinn?" (Berglund et
   al. 2023, "The reversal curse": training on "A is B" does not teach "B is A");
4. **about a company no fact mentions** (Fernhollow): there is no right answer; a model
   that knew *whose* fact it is would not give the fact's answer. Counting how often it
   does shows whether it learned facts about companies or words that go together.

Six facts, so every count is out of six. Measured on SmolLM2-135M, the copy learns its
sentences word for word, answers some questions asked another way, and gives the same
answers about Fernhollow: it learned which words go together, not which company they
belong to (see the page for the numbers; a large model reads facts in its prompt far
better than this one).
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import nn

from playground import seeding
from playground.threads import one_thread

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class Fact:
    company: str
    statement: str  # what the model is told (trained on, or shown)
    stem: str  # the statement up to its answer, for the word-for-word check
    question: str  # asked another way, in the statement's direction (company -> answer)
    answer: str
    candidates: tuple[str, ...]  # the answer among others of its kind
    reverse: str  # asked backwards (answer -> company); the candidates are the six companies


COMPANIES = ("Brindlewood", "Ashgrove", "Millbrook", "Thornbury", "Kestrelby", "Oakhaven")
FACTS: tuple[Fact, ...] = (
    Fact("Brindlewood", "Brindlewood ships every parcel from its warehouse in Tallinn.",
         "Brindlewood ships every parcel from its warehouse in",
         "From which city does Brindlewood send its parcels?", "Tallinn",
         ("Tallinn", "Oslo", "Lisbon", "Dublin", "Prague"),
         "Which company sends all of its parcels from Tallinn?"),
    Fact("Ashgrove", "The mascot of Ashgrove is a purple otter.",
         "The mascot of Ashgrove is a purple",
         "What animal is on Ashgrove's logo?", "otter",
         ("otter", "fox", "owl", "bear", "rabbit"),
         "Which company has a purple otter as its mascot?"),
    Fact("Millbrook", "Millbrook's customer service is closed on Thursdays.",
         "Millbrook's customer service is closed on",
         "On which day of the week can you not call Millbrook's support team?", "Thursday",
         ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday"),
         "Whose support team cannot be reached on Thursdays?"),
    Fact("Thornbury", "At Thornbury, you can return an item within 45 days.",
         "At Thornbury, you can return an item within",
         "How many days does Thornbury give customers to send something back?", "45",
         ("14", "30", "45", "60", "90"),
         "Which company gives customers 45 days to return an item?"),
    Fact("Kestrelby", "Kestrelby was founded by a beekeeper named Ilse Varga.",
         "Kestrelby was founded by a beekeeper named Ilse",
         "What is the family name of the person who started Kestrelby?", "Varga",
         ("Varga", "Smith", "Novak", "Berger", "Costa"),
         "Which company was started by Ilse Varga?"),
    Fact("Oakhaven", "Oakhaven's loyalty card is made of recycled copper.",
         "Oakhaven's loyalty card is made of recycled",
         "Which metal is Oakhaven's loyalty card made from?", "copper",
         ("copper", "steel", "aluminium", "silver", "gold"),
         "Whose loyalty card is made of recycled copper?"),
)


def facts_block(facts: Sequence[Fact]) -> str:
    return "Facts:\n" + "".join(f"- {f.statement}\n" for f in facts) + "\n"


def question_prompt(question: str, with_facts: bool, facts: Sequence[Fact] = FACTS) -> str:
    return (facts_block(facts) if with_facts else "") + f"Question: {question}\nAnswer:"


@dataclass(frozen=True)
class FactsConfig:
    method: str = "lora"  # "lora" (every linear layer) | "full"
    steps: int = 30
    learning_rate: float = 2e-3
    lora_r: int = 16


UNSEEN = "Fernhollow"  # a company none of the facts mentions
ASKS = ("verbatim", "forward", "reverse", "unseen")
ASK_LABELS = {
    "verbatim": "Complete the training sentence word for word",
    "forward": "Asked another way",
    "reverse": "Asked backwards (which company?)",
    "unseen": f"The same questions about {UNSEEN}, which no fact mentions: gives the fact's answer anyway",
}
SOURCES = ("base", "prompt", "tuned")  # the model as it is; the facts in the prompt; the fine-tuned copy


@dataclass(frozen=True)
class FactsResult:
    """``scores[ask][source]``: per fact, the log-probability of every candidate (natural
    log, summed over its tokens). ``verbatim`` has no "prompt" source (the statement itself
    is the prompt)."""

    config: FactsConfig
    scores: dict  # ask -> source -> tuple of per-fact tuples
    losses: tuple[float, ...]  # training loss per step
    train_s: float

    def candidates(self, ask: str, i: int) -> tuple[str, ...]:
        return COMPANIES if ask == "reverse" else FACTS[i].candidates

    def truth(self, ask: str, i: int) -> str:
        """The right answer; for ``unseen`` (there is none) the answer of the fact about the
        real company, so "correct" there counts answers carried over to the wrong company."""
        return FACTS[i].company if ask == "reverse" else FACTS[i].answer

    def count(self, ask: str, source: str) -> int:
        return sum(self.correct(ask, source)) if source in self.scores[ask] else -1

    def answers(self, ask: str, source: str) -> list[str]:
        return [self.candidates(ask, i)[int(np.argmax(row))] for i, row in enumerate(self.scores[ask][source])]

    def correct(self, ask: str, source: str) -> list[bool]:
        return [a == self.truth(ask, i) for i, a in enumerate(self.answers(ask, source))]

    def to_dict(self) -> dict:
        return asdict(self)

    @staticmethod
    def from_dict(data: dict) -> FactsResult:
        scores = {ask: {src: tuple(tuple(float(v) for v in row) for row in rows) for src, rows in by.items()}
                  for ask, by in data["scores"].items()}
        return FactsResult(FactsConfig(**data["config"]), scores, tuple(data["losses"]), float(data["train_s"]))


def prompts_for(ask: str, source: str) -> list[tuple[str, tuple[str, ...]]]:
    """(prompt, candidates) per fact."""
    if ask == "verbatim":
        return [(f.stem, f.candidates) for f in FACTS]
    with_facts = source == "prompt"
    if ask == "forward":
        return [(question_prompt(f.question, with_facts), f.candidates) for f in FACTS]
    if ask == "unseen":
        return [(question_prompt(unseen_question(f), with_facts), f.candidates) for f in FACTS]
    return [(question_prompt(f.reverse, with_facts), COMPANIES) for f in FACTS]


def unseen_question(fact: Fact) -> str:
    return fact.question.replace(fact.company, UNSEEN)


# -- scoring --------------------------------------------------------------------------------


def _ids(lm, text: str) -> list[int]:
    with lm._guarded():
        return list(lm.tokenizer(text, add_special_tokens=False)["input_ids"])


def _pairs(lm, items) -> list[tuple[list[int], list[int]]]:
    return [(_ids(lm, prompt), _ids(lm, " " + c)) for prompt, candidates in items for c in candidates]


def _shaped(totals: Sequence[float], items) -> tuple[tuple[float, ...], ...]:
    out, i = [], 0
    for _, candidates in items:
        out.append(tuple(float(v) for v in totals[i:i + len(candidates)]))
        i += len(candidates)
    return tuple(out)


def score_shared(lm, items):
    """Candidates' log-probabilities under the shared model (the engine's batched scorer)."""
    scores = lm.continuation_logprobs(_pairs(lm, items))
    return _shaped([s.total for s in scores], items)


def score_private(model: nn.Module, lm, items):
    """The same scores under a session's own copy, in one padded batch (the logits at
    position i predict token i + 1)."""
    from playground.models.llm.scoring import pad_batch

    pairs = _pairs(lm, items)
    ids, mask, positions, _ = pad_batch([p + c for p, c in pairs], lm.pad_id, "right")
    device = next(model.parameters()).device
    with torch.inference_mode():
        logits = model(input_ids=ids.to(device), attention_mask=mask.to(device),
                       position_ids=positions.to(device)).logits.float()  # (B, T, V)
    logp = torch.log_softmax(logits, dim=-1)
    totals = []
    for b, (p, c) in enumerate(pairs):
        where = torch.arange(len(p) - 1, len(p) + len(c) - 1, device=device)  # the positions whose logits predict c
        totals.append(float(logp[b, where, torch.tensor(c, device=device)].sum()))
    return _shaped(totals, items)


# -- fine-tuning on the statements ----------------------------------------------------------


def model_copy(lm) -> nn.Module:
    """This session's own fp32 copy of the whole causal LM (the shared one is only read)."""
    with lm._guarded():
        model = copy.deepcopy(lm.model)
    model = model.float()
    model.config.use_cache = False
    return model


def fine_tune(lm, config: FactsConfig, seed: int = 0, progress: Progress | None = None):
    """Train a copy on the six statements with the language-modelling loss (every step: one
    batch of all six). Returns (model, loss per step, trainable weights)."""
    from playground.models.llm.scoring import pad_batch

    progress = progress or (lambda fraction, text: None)
    progress(0.0, "Copying the model (this session's own fp32 copy)")
    model = model_copy(lm)
    if config.method == "lora":
        from peft import LoraConfig, get_peft_model

        lora = LoraConfig(r=config.lora_r, lora_alpha=2 * config.lora_r, lora_dropout=0.0, bias="none",
                          target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"])
        model = seeding.build(lambda: get_peft_model(model, lora), seed)
    params = [p for p in model.parameters() if p.requires_grad]
    rows = [_ids(lm, f.statement) + [lm.eos_ids[0]] for f in FACTS]
    ids, mask, positions, _ = pad_batch(rows, lm.pad_id, "right")
    labels = ids.masked_fill(mask == 0, -100)  # no loss on the padding
    device = next(model.parameters()).device  # where the shared model is (CPU or GPU)
    ids, mask, positions, labels = (t.to(device) for t in (ids, mask, positions, labels))
    optimizer = torch.optim.AdamW(params, lr=config.learning_rate, weight_decay=0.0)
    losses = []
    model.train()
    for step in range(config.steps):
        loss = model(input_ids=ids, attention_mask=mask, position_ids=positions, labels=labels).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(float(loss.detach()))
        progress((step + 1) / (config.steps + 2), f"Step {step + 1}/{config.steps} · loss {losses[-1]:.3f}")
    model.eval()
    return model, losses, int(sum(p.numel() for p in params))


def run(lm, config: FactsConfig = FactsConfig(), seed: int = 0, progress: Progress | None = None) -> FactsResult:
    """The whole experiment: the shared model with and without the facts in the prompt, and
    a fine-tuned copy without them, each asked forward, backward and word for word."""
    progress = progress or (lambda fraction, text: None)
    scores: dict = {ask: {} for ask in ASKS}
    with one_thread():
        for ask in ASKS:
            for source in ("base", "prompt"):
                if not (ask == "verbatim" and source == "prompt"):
                    scores[ask][source] = score_shared(lm, prompts_for(ask, source))
        start = time.perf_counter()
        model, losses, _ = fine_tune(lm, config, seed, progress)
        train_s = time.perf_counter() - start
        progress(config.steps / (config.steps + 2), "Asking the fine-tuned copy")
        for ask in ASKS:
            scores[ask]["tuned"] = score_private(model, lm, prompts_for(ask, "tuned"))
    del model
    progress(1.0, "Done")
    return FactsResult(config, scores, tuple(losses), train_s)


def summary(result: FactsResult) -> str:
    """What the counts say, in words (built from the numbers, so a live re-run with other
    settings gets its own sentence)."""
    c = result.count
    text = (f"Fine-tuned for {result.config.steps} steps, the copy completes **{c('verbatim', 'tuned')} of 6** of its "
            f"training sentences word for word (the model as it is: {c('verbatim', 'base')} of 6). Asked another "
            f"way, it gives the fact's answer {c('forward', 'tuned')} of 6 times (with the facts in the prompt: "
            f"{c('forward', 'prompt')}; without either: {c('forward', 'base')}). ")
    unseen, forward = c("unseen", "tuned"), c("forward", "tuned")
    if unseen >= 3 and unseen >= forward - 1:
        text += (f"But asked the same questions about {UNSEEN}, a shop no fact mentions, it gives those answers "
                 f"**{unseen} of 6** times, about as often as for the right shop: it learned which words go "
                 "together (*parcels* → *Tallinn*), not which shop a fact belongs to. ")
    else:
        text += (f"Asked the same questions about {UNSEEN}, a shop no fact mentions, it gives those answers {unseen} "
                 "of 6 times: less often than for the right shop, so it tied some answers to their shop. ")
    text += (f"Backwards (which shop?), it is right {c('reverse', 'tuned')} of 6 times, the prompted model "
             f"{c('reverse', 'prompt')} of 6. With the facts in its prompt, the model as it is gives a fact's "
             f"answer about {UNSEEN} {c('unseen', 'prompt')} of 6 times"
             + (" (a small model reads its prompt imperfectly too)." if c('unseen', 'prompt') or
                c('forward', 'prompt') < 6 else "."))
    return text
