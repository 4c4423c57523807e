"""The shipped dictionaries are found from the installed package (wheel or source checkout)."""

from ivr_text.resources import dictionaries_dir, dictionary_path

import pytest


def test_dictionaries_dir_has_config_files():
    names = {p.name for p in dictionaries_dir().iterdir()}
    assert names, "dictionaries/ is empty"


def test_missing_dictionary_is_a_clear_error():
    with pytest.raises(FileNotFoundError, match="no_such_file.txt"):
        dictionary_path("no_such_file.txt")
