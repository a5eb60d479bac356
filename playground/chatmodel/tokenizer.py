"""A byte-pair tokenizer trained on the page's own corpus, the way SmolLM2's was made.

``train()`` learns merges with the ``tokenizers`` library (byte-level BPE, as GPT-2 and
SmolLM2 use) on the stories and the fine-tuning texts, then wraps the result as a
``transformers.PreTrainedTokenizerFast`` with SmolLM2's chat template (ChatML:
``<|im_start|>user ... <|im_end|>``) and ``<|im_end|>`` as the end token, so that
``trl`` and ``peft`` take it like any Hugging Face tokenizer.
"""

from __future__ import annotations

from pathlib import Path

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import PreTrainedTokenizerFast

from playground.chatmodel import corpus

VOCAB_SIZE = 1024
BOS, EOS, START, END, PAD = "<|endoftext|>", "<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|pad|>"
SPECIAL = [EOS, START, END, PAD]

# SmolLM2-Instruct's template, without its default system message
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


def train(vocab_size: int = VOCAB_SIZE, seed: int = 0) -> PreTrainedTokenizerFast:
    """Learn the merges on the corpus (about 5 MB of text: a few seconds)."""
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=SPECIAL, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(corpus.all_text(seed), trainer=trainer)
    return wrap(tok)


def wrap(tok: Tokenizer) -> PreTrainedTokenizerFast:
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token=BOS, eos_token=END, pad_token=PAD,
                                   additional_special_tokens=[START, END], clean_up_tokenization_spaces=False)
    fast.chat_template = CHAT_TEMPLATE
    return fast


def load(folder: Path) -> PreTrainedTokenizerFast:
    """The shipped tokenizer (tokenizer.json in ``folder``), wrapped as above."""
    return wrap(Tokenizer.from_file(str(Path(folder) / "tokenizer.json")))


def chat_prompt(tokenizer: PreTrainedTokenizerFast, instruction: str) -> str:
    """The text a chat model sees before it answers (ending with the assistant's header)."""
    return tokenizer.apply_chat_template([{"role": "user", "content": instruction}], tokenize=False,
                                         add_generation_prompt=True)
