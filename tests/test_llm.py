"""The shared language model: real SmolLM2, offline."""

from __future__ import annotations

import threading
import time

import pytest
import torch

from playground.config import get_settings
from playground.devices import get_device
from playground.errors import UserInputError
from playground.models import llm as llm_module
from playground.models.llm import GenerationSettings, load_llm

QUESTION = "What is the capital of France?"


def test_greedy_answers_paris(llm):
    ids = llm.encode(QUESTION)
    answer = llm.generate_text(ids, GenerationSettings(max_new_tokens=20, temperature=0))
    assert "Paris" in answer


def test_default_comes_from_the_embedded_package(llm):
    assert llm.info.source == "embedded package"
    assert llm.info.name == "SmolLM2-135M-Instruct"
    assert llm.info.device == "cpu" and llm.info.dtype == get_device().precision == llm.precision
    assert 130e6 < llm.info.parameters < 140e6


def test_next_token_probabilities_sum_to_one(llm):
    probs = llm.next_token_probs(llm.encode("The capital of France is", mode="raw"))
    assert probs.shape == (llm.vocab_size,)
    assert torch.all(probs >= 0)
    assert probs.sum().item() == pytest.approx(1.0, abs=1e-4)


def test_next_token_logits_are_cached_by_prompt(llm):
    ids = llm.encode("Cats and dogs are", mode="raw")
    llm.next_token_logits(ids)
    calls = llm.model_calls
    for _ in range(3):
        llm.next_token_logits(ids)
    assert llm.model_calls == calls


def test_continuation_logprob_equals_manual_computation(llm_fp32):
    llm = llm_fp32
    prompt = llm.encode("The capital of France is", mode="raw")
    continuation = llm.tokenizer(" Paris, a city", add_special_tokens=False)["input_ids"]
    score = llm.continuation_logprob(prompt, continuation)
    with torch.inference_mode():
        logits = llm.model(input_ids=torch.tensor([prompt + continuation])).logits[0]
    manual = []
    for j, token in enumerate(continuation):
        position = len(prompt) + j - 1  # the logits at position i predict token i+1
        manual.append(torch.log_softmax(logits[position], -1)[token].item())
    assert score.logprobs == pytest.approx(manual, abs=1e-4)
    assert score.total == pytest.approx(sum(manual), abs=1e-3)
    # and the first one agrees with the next-token distribution of the prompt alone
    assert score.logprobs[0] == pytest.approx(
        torch.log(llm.next_token_probs(prompt)[continuation[0]]).item(), abs=1e-4)


def test_greedy_stream_matches_plain_generate(llm):
    ids = llm.encode("Name three colours.")
    ours = [t.token_id for t in llm.generate(ids, GenerationSettings(max_new_tokens=15, temperature=0))]
    with torch.inference_mode():
        plain = llm.model.generate(torch.tensor([ids]), max_new_tokens=15, do_sample=False,
                                   attention_mask=torch.ones(1, len(ids), dtype=torch.long))
    assert ours == plain[0, len(ids):].tolist()


def test_stream_reports_probabilities_for_the_token_it_follows(llm):
    ids = llm.encode("The capital of France is", mode="raw")
    first = next(iter(llm.generate_stream(ids, GenerationSettings(max_new_tokens=3, temperature=0))))
    probs = llm.next_token_probs(ids)
    assert first.token_id == int(probs.argmax())
    assert first.prob == pytest.approx(probs.max().item(), abs=1e-4)
    assert first.alternatives[0][0] == first.token_id


def test_sampling_is_seeded(llm):
    ids = llm.encode("Tell me a story about a cat.")
    gen = GenerationSettings(max_new_tokens=12, temperature=1.2, seed=7)
    a = [t.token_id for t in llm.generate(ids, gen)]
    b = [t.token_id for t in llm.generate(ids, gen)]
    c = [t.token_id for t in llm.generate(ids, GenerationSettings(max_new_tokens=12, temperature=1.2, seed=8))]
    assert a == b
    assert a != c


def test_stop_event_ends_generation_and_releases_the_model(llm):
    ids = llm.encode("Write a long poem about the sea.")
    stop = threading.Event()
    seen = []
    for token in llm.generate_stream(ids, GenerationSettings(max_new_tokens=100, temperature=0), stop=stop):
        seen.append(token)
        if len(seen) == 3:
            stop.set()
    assert 3 <= len(seen) <= 5
    # leaving a stream early (break) also releases the model for the next caller
    for _ in llm.generate_stream(ids, GenerationSettings(max_new_tokens=100, temperature=0)):
        break
    start = time.perf_counter()
    llm.next_token_logits(llm.encode("A fresh prompt after a stop", mode="raw"))
    assert time.perf_counter() - start < 5


def test_concurrent_users_get_correct_answers(llm):
    prompts = [llm.encode(p, mode="raw") for p in ("One, two, three,", "Monday, Tuesday,", "red, green,")]
    expected = [llm.next_token_logits(p).argmax().item() for p in prompts]
    llm._logits_cache.clear()
    results: dict[int, int] = {}

    def work(i):
        results[i] = llm.next_token_logits(prompts[i % 3]).argmax().item()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(9)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [results[i] for i in range(9)] == expected * 3


def test_bad_prompts_get_clear_messages(llm, monkeypatch):
    with pytest.raises(UserInputError, match="empty"):
        llm.encode("   ")
    long_text = "word " * 5000
    with pytest.raises(UserInputError, match=r"5,0\d\d tokens long; the limit is 1,024"):
        llm.encode(long_text, mode="raw")
    ids = llm.encode("🙂 ünïcödé <script>alert(1)</script>")
    assert ids


def test_unreachable_hub_falls_back_to_the_embedded_model_within_seconds(monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("PLAYGROUND_HUB_TIMEOUT_S", "2")
    start = time.perf_counter()
    model = load_llm("example-org/a-model-that-is-not-here")
    assert time.perf_counter() - start < 15
    assert model.info.name == "SmolLM2-135M-Instruct"
    assert "Could not load 'example-org/a-model-that-is-not-here'" in model.info.note
    assert "embedded SmolLM2-135M-Instruct" in model.info.note


def test_offline_mode_falls_back_too():
    model = load_llm("example-org/a-model-that-is-not-here")
    assert "HF_HUB_OFFLINE" in model.info.note


def test_a_local_folder_can_be_configured(llm):
    folder = llm_module.converted_dir(get_settings())
    model = load_llm(str(folder))
    assert model.info.source == "local folder" and not model.info.note
    ids = model.encode(QUESTION)
    assert model.next_token_logits(ids).argmax() == llm.next_token_logits(ids).argmax()


def test_conversion_from_the_gguf_file(tmp_path):
    progress = []
    folder = llm_module.convert_embedded(tmp_path / "converted", lambda f, text: progress.append(f))
    assert llm_module.is_converted(folder)
    assert progress[0] == 0.0 and progress[-1] == 1.0 and progress == sorted(progress)
    assert len(progress) > 100  # one report per de-quantized tensor: a real progress bar
