"""Chinese complaint text: normalisation, PII masking and domain tokenisation (see the modules' docstrings).

>>> from ivr_text.text import normalize_text, mask_pii, Tokenizer
>>> tok = Tokenizer.default()
"""

from ivr_text.text.normalize import normalize_many, normalize_text, to_simplified, to_text
from ivr_text.text.pii import PLACEHOLDERS, mask_pii
from ivr_text.text.tokenize import Tokenizer

__all__ = ["normalize_text", "normalize_many", "mask_pii", "Tokenizer", "to_simplified", "to_text", "PLACEHOLDERS"]
