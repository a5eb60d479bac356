from pathlib import Path

import pytest
import torch

from playground.config import get_settings
from playground.devices import _resolve
from playground.pages import GROUPS, PAGES, available_pages


def test_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("PLAYGROUND_MAX_NEW_TOKENS", "17")
    monkeypatch.setenv("PLAYGROUND_ALLOW_MODEL_CHOICE", "no")
    monkeypatch.setenv("PLAYGROUND_CACHE_DIR", "/tmp/x")
    s = get_settings()
    assert s.max_new_tokens == 17 and s.allow_model_choice is False and s.cache_dir == Path("/tmp/x")


def test_a_bad_setting_says_which_variable(monkeypatch):
    monkeypatch.setenv("PLAYGROUND_MAX_NEW_TOKENS", "many")
    with pytest.raises(ValueError, match="PLAYGROUND_MAX_NEW_TOKENS"):
        get_settings()


def test_cpu_precision_follows_its_instruction_set(monkeypatch):
    from playground import devices

    monkeypatch.setattr(devices, "cpu_flags", lambda: {"avx2", "avx512f"})
    info = _resolve("cpu")
    assert info.device.type == "cpu" and info.dtype == torch.float32
    monkeypatch.setattr(devices, "cpu_flags", lambda: {"avx2", "avx512f", "avx512_bf16"})
    assert _resolve("cpu").dtype == torch.bfloat16
    assert "native bf16" in _resolve("cpu").why
    assert _resolve("cpu", "float32").dtype == torch.float32  # PLAYGROUND_DTYPE overrides
    assert _resolve("cpu", "bf16").precision == "bfloat16"


def test_a_bad_precision_says_what_to_use():
    with pytest.raises(ValueError, match="auto, float32, bfloat16 or float16"):
        _resolve("cpu", "int3")


def test_cpu_flags_are_read_from_cpuinfo(tmp_path):
    from playground.devices import cpu_flags, cpu_has_native_bf16

    (tmp_path / "cpuinfo").write_text("processor\t: 0\nflags\t\t: fpu sse avx512_bf16\n")
    assert cpu_has_native_bf16(cpu_flags(tmp_path / "cpuinfo"))
    assert cpu_flags(tmp_path / "missing") == set()


def test_every_page_has_a_known_group_and_unique_path():
    assert all(p.group in GROUPS for p in PAGES)
    assert len({p.url_path for p in PAGES}) == len(PAGES)
    assert available_pages()[0].url_path == "home"
    # page URLs equal file names (playground/ui/entry.py relies on it)
    assert all(Path(p.file).stem == p.url_path for p in PAGES)


def test_the_class_profile_lowers_the_limits_and_single_settings_still_win(monkeypatch):
    laptop = get_settings()
    monkeypatch.setenv("PLAYGROUND_PROFILE", "class")
    s = get_settings()
    assert s.profile == "class" and s.max_new_tokens < laptop.max_new_tokens
    assert s.max_training_steps < laptop.max_training_steps and s.heavy_actions_per_minute > 0
    assert s.allow_model_choice is False
    monkeypatch.setenv("PLAYGROUND_MAX_NEW_TOKENS", "40")
    assert get_settings().max_new_tokens == 40
    monkeypatch.setenv("PLAYGROUND_PROFILE", "lecture-hall")
    with pytest.raises(ValueError, match="laptop, class"):
        get_settings()
