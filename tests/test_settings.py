"""ivr_text.settings: one reader of settings for churn, IVR and the complaint configs."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from ivr_text.churn.config import churn_config
from ivr_text.complaints.topics import TopicConfig
from ivr_text.errors import InputError
from ivr_text.ivr.config import IvrConfig, load_config
from ivr_text.resources import dictionary_path, read_yaml
from ivr_text.settings import merged_settings, settings_object


def test_merge_keeps_shipped_defaults_and_does_not_change_them(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text("windows:\n  recent: 2\n", encoding="utf-8")
    shipped = read_yaml(dictionary_path("churn_rules.yaml"))
    cfg = merged_settings("churn_rules.yaml", path, {"phases": {"decline_threshold": 0.2}})
    assert cfg["windows"] == {**shipped["windows"], "recent": 2}
    assert cfg["phases"]["decline_threshold"] == 0.2 and cfg["phases"]["labels"] == shipped["phases"]["labels"]
    cfg["windows"]["recent"] = 99
    assert merged_settings("churn_rules.yaml")["windows"]["recent"] == shipped["windows"]["recent"]
    assert churn_config(path) == merged_settings("churn_rules.yaml", path)


@pytest.mark.parametrize("text, message", [
    ("windows:\n  recnt: 2\n", "unknown setting 'windows.recnt'; did you mean 'recent'?"),
    ("windows:\n  recent: two\n", "'windows.recent' must be a number, got 'two'"),
    ("- 1\n- 2\n", "expected a mapping of settings"),
])
def test_bad_user_settings_name_file_and_key(tmp_path, text, message):
    path = tmp_path / "rules.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as exc:
        merged_settings("churn_rules.yaml", path)
    assert str(exc.value) == f"{path}: {message}"


def test_replaced_keys_are_taken_whole_and_open_keys_unchecked():
    cfg = load_config(event_aliases={"hangup": ["挂机"]})
    assert cfg.event_aliases == {"hangup": ["挂机"]}          # replaced, not merged with the shipped aliases
    assert isinstance(cfg, IvrConfig)
    weights = churn_config(overrides={"usage": {"weights": {"minutes": 3}}})["usage"]["weights"]
    assert weights == {"minutes": 3}                           # an open mapping: the user's own measure names


@dataclass
class _Toy:
    k: int | None = None
    k_range: tuple[int, int] = (2, 10)
    seed: int = 0


def test_settings_object_from_yaml_and_options(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("k_range: [3, 7]\nseed: 4\n", encoding="utf-8")
    assert settings_object(_Toy, path, seed=None, k=5) == _Toy(k=5, k_range=(3, 7), seed=4)
    path.write_text("k_rang: [3, 7]\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"c\.yaml: unknown setting 'k_rang'; did you mean 'k_range'\?"):
        settings_object(_Toy, path)
    assert settings_object(TopicConfig, {"k_range": [3, 5]}).k_range == (3, 5)
