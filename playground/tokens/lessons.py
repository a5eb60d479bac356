"""What the page says: its intro, and for each tab a few plain sentences and the "try this"
experiments. Every claim here is checked by a test at the page's default settings
(tests/test_tokens.py, the test named after the claim); change a number here only with its
test."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Lesson:
    intro: str  # plain words for a newcomer, shown above the tab's controls
    try_this: tuple[str, ...]  # experiments whose outcome a test proves


TITLE = "Tokens, embeddings & attention"
WHAT = (
    "A language model never sees letters. Your text is cut into **tokens**, each token "
    "becomes a **vector** of numbers, and 30 **layers** mix those vectors with **attention** "
    "(every token looking back at the tokens before it) until the last vector scores every "
    "possible next token. Each tab shows one step on the real models: SmolLM2-135M-Instruct "
    "(30 layers, 9 attention heads sharing 3 key/value heads, 576 numbers per vector, rotary "
    "positions) and the sentence embedder all-MiniLM-L6-v2. Layers and heads are counted from "
    "0, as in the code."
)
TRY_THIS = [
    (
        "**Tokens:** the default question asks for the r's in ' strawberry', which the model "
        "reads as one token, id 35199: it never sees the letters it is asked to count."
    ),
    (
        "**Attention:** on the default sentence, layer 13, head 8 sends about 75 % of the "
        "attention of 'it' to 'animal' and about 1 % to 'street'."
    ),
    (
        "**Forward pass:** for 'The capital of France is' the model answers ' Paris' (about "
        "77 %), but the logit lens shows ' Paris' outside the top 100 until layer 24: the "
        "answer appears in the last layers."
    ),
]

SECTIONS: dict[str, Lesson] = {
    "Tokens": Lesson(
        (
            "The tokenizer cuts text into pieces from a fixed vocabulary (SmolLM2: 49,152 "
            "pieces) and the model gets one **id** per piece. Each chip is one token, its id "
            "underneath; hover a chip for details. Spaces belong to the token after them "
            "(shown as ␣)."
        ),
        (
            (
                "The default question: ' strawberry' is **one** token (id 35199). Type "
                "`strawberry` at the very start (no space before it): it becomes **st · raw · "
                "berry**, three tokens, still no single r."
            ),
            (
                "Pick **Numbers and arithmetic**: SmolLM2 gives each of the 13 digits its own "
                "token (17 tokens in all); MiniLM's WordPiece cuts 12345 into **123 · ##45**."
            ),
            (
                "Switch the mode to **chat**: the same question grows from 8 to **38** "
                "tokens, 5 of them special (`<|im_start|>`, `<|im_end|>`) and a system prompt the "
                "template adds by itself."
            ),
        ),
    ),
    "Embeddings": Lesson(
        (
            "Each token id selects one row of the model's **embedding matrix**: 576 numbers "
            "learned in training. Tokens used in similar ways got similar rows. *Similar* is "
            "the **cosine** of the angle between two vectors: 1 = same direction, 0 = "
            "unrelated. A **sentence embedder** does the same for whole sentences; that is "
            "how search by meaning (retrieval) works."
        ),
        (
            (
                "The default token ' Monday': its six nearest tokens are the six other days "
                "of the week."
            ),
            (
                "In the similarity matrix, 'A cat is sitting on the mat.' and 'A kitten rests "
                "on a rug.' share no word but score about **0.65**; the cat and the stock "
                "market score about **0.1**."
            ),
            (
                "Search for *How do I fix a flat tyre?*: the bicycle-tube repair comes first "
                "without sharing a word. Then ask *Why is the sea level rising and falling "
                "every day?*: the tides win over the sentence that shares 'sea level'."
            ),
        ),
    ),
    "Context": Lesson(
        (
            "Layer 0 gives a word the same vector in every sentence: its embedding row. Each "
            "layer then mixes in the words before it. Below: the cosine between the word's "
            "vectors in sentences **A** and **B** (different meanings) and in **A** and **C** "
            "(the same meaning), after every layer."
        ),
        (
            (
                "The default (*server*): both lines start at exactly 1 (the same token, the "
                "same row); from layer 6 on the two restaurant servers (A · C) stay above the "
                "restaurant and the computer server (A · B)."
            ),
            (
                "Pick **Bank: river or money?**: by layer 6 the two river banks are more than "
                "0.15 closer to each other than the river bank and the money bank."
            ),
            (
                "Pick **Only the words before count**: A and B differ only *after* 'bank', "
                "and their line stays at 1.00 at every layer. SmolLM2 reads left to right; it "
                "cannot use words it has not reached."
            ),
        ),
    ),
    "Attention": Lesson(
        (
            "In every layer each token sends a **query** (what am I looking for?), and every "
            "earlier token offers a **key** (what I contain) and a **value** (what I pass "
            "on). Query · key decides how much of each value a token takes: the **attention "
            "weights**. A row is one token looking back; it sums to 1. SmolLM2 has 30 layers "
            "× 9 heads = 270 such maps, and its 9 query heads share only 3 key/value heads "
            "(grouped-query attention: a smaller memory for keys and values)."
        ),
        (
            (
                "Default sentence, layer 13, head 8: 'it' puts about **75 %** of its "
                "attention on 'animal' and about **1 %** on 'street'. In the overview that "
                "head is the brightest cell."
            ),
            (
                "Change *tired* to *wide*: the row of 'it' stays the same in every head. 'it' "
                "comes before the word that decides what it means, and a token can only look "
                "back."
            ),
            (
                "Set the overview to **to the previous token**: layer 16 head 0 and layer 1 "
                "head 2 put more than 60 % on the token just before. **To the first token**: "
                "more than half of the 270 heads park over half their attention on token 0 "
                "(an *attention sink*)."
            ),
        ),
    ),
    "Position": Lesson(
        (
            "Attention compares every query with every key, so by itself it ignores word "
            "order. SmolLM2 **rotates** each query and key by an angle that grows with its "
            "position (rotary position embeddings, RoPE). Each head's 64 numbers form 32 "
            "pairs, and pair *i* turns by θᵢ = 100,000^(−2i/64) radians per position: pair 0 "
            "fast, pair 31 hardly at all. Because both are rotated, a query–key score depends "
            "only on how far apart the two tokens are."
        ),
        (
            (
                "Pair 0 turns 1 radian per position, a full turn every 6.3 tokens; pair 31 "
                "needs 438,000 positions for a turn, so over the model's whole 8,192-token "
                "context it turns only 0.12 radians."
            ),
            (
                "The default pair (layer 1, head 2, 'it' looking at 'because'): the score is "
                "highest at distance **1**, and 100 or more positions apart it stays below 0. "
                "Pick any other token and the one just before it: the peak stays at distance "
                "1. The head finds the previous token by position alone."
            ),
            (
                "At distance 0 the curve always meets the grey line (no rotation): turning "
                "the query and the key by the same angle changes nothing. Only the distance "
                "between them counts."
            ),
        ),
    ),
    "Forward pass": Lesson(
        (
            "One forward pass, one step at a time: ids → embedding rows → 30 layers, each "
            "**adding** its result to a running vector per token (the *residual stream*) → a "
            "final normalisation → one score (logit) per vocabulary token → probabilities. "
            "The **logit lens** applies the last two steps after every layer, as if the model "
            "stopped there."
        ),
        (
            (
                "The default 'The capital of France is': ' Paris' at about 77 %. In the lens "
                "' Paris' is outside the top 100 until layer 24 and on top only after the "
                "last layer."
            ),
            (
                "The first token's stream (blue) is about 3 long at the start like every "
                "other, but after layer 11 it jumps to about **22,500**, over 30 times any "
                "other token, and stays there until the last layers (a *massive activation*). "
                "The final norm brings the last token's vector (about 600 long) back to about "
                "44."
            ),
            (
                "Type *One, two, three, four,*: the model answers ' five', but for most "
                "layers the lens reads ' and'."
            ),
        ),
    ),
}
