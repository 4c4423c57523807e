"""Mask personal data in customer-service text with typed placeholders that stay single tokens.

Replaced (ASCII digits; ``normalize_text`` converts full-width digits first):

========  =====================================================================================
<EMAIL>   e-mail addresses
<ID>      18-digit mainland resident ID numbers with a valid birth date and ISO 7064 check digit (0-9/X)
<CARD>    bank card numbers: 16–19 digits (optionally grouped by 4) passing the Luhn check with a card
          prefix 3–6, or any 16–19 digit number right after 卡号/银行卡/账号...
<PHONE>   mainland mobile numbers 1[3-9]x xxxx xxxx (optionally +86/0086, spaces or dashes), also
          numbers already half-masked as 138****5678
<TEL>     landlines with an area code: 010-12345678, (0755)12345678, 0571 8765432, 02112345678
******    runs of three or more ``*`` (already-masked text in operator work orders), one canonical token
========  =====================================================================================

Near misses stay as they are: order numbers (longer digit runs, or failing the checks), dates (20240315,
2024-03-15), amounts (59.00元), service numbers (10086, 10010, 95588, 400-xxx-xxxx), package codes.
A digit run is only masked whole: a number embedded in a longer run of digits or Latin letters is never
partly replaced.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from itertools import accumulate

__all__ = ["mask_pii", "mask_pii_lines", "PLACEHOLDERS", "MASK_RUN", "id_checksum_ok", "luhn_ok"]

PLACEHOLDERS = ("<PHONE>", "<TEL>", "<ID>", "<CARD>", "<EMAIL>")
MASK_RUN = "******"

_START = r"(?<![0-9A-Za-z])"          # not inside a longer alphanumeric run
_START_TEL = r"(?<![0-9A-Za-z\-./])"  # nor right after a date/amount separator
# Each digit pattern starts with a lookahead for its first character: sre then rejects most positions with
# one character test instead of trying the lookbehind and alternatives (≈ 3× faster, same matches).

_EMAIL = re.compile(r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
_ID = re.compile(r"(?=[1-9])" + _START + r"[1-9][0-9]{5}(?:19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3}[0-9Xx]"
                 r"(?![0-9A-Za-z])")
_CARD = re.compile(r"(?=[3-6])" + _START + r"[3-6][0-9]{3}(?:[ \-]?[0-9]{4}){2,3}(?:[ \-]?[0-9]{1,3})?(?![0-9])")
_CARD_CONTEXT = re.compile(r"(?:卡号|银行卡|信用卡|储蓄卡|借记卡|账号|帐号|卡)[^0-9]{0,4}$")
_MOBILE = re.compile(r"(?=[+081])" + _START + r"(?:(?:\+|00)?86[ \-]?)?1[3-9][0-9](?:([ \-]?)[0-9]{4}\1[0-9]{4}|\*{4}[0-9]{4})"
                     r"(?![0-9])")
_TEL = re.compile(
    r"(?=[(0])" + _START_TEL
    + r"(?:(?:\(0[0-9]{2,3}\)[ \-]?|0[0-9]{2,3}[ \-])[2-9][0-9]{6,7}(?:-[0-9]{1,5})?"  # with a separator
    r"|0(?:10|2[0-9])[2-9][0-9]{7}|0[3-9][0-9]{2}[2-9][0-9]{6,7})"                      # written together
    r"(?![0-9])"
)
_MASK_RUN = re.compile(r"\*{3,}")
# Every match of the digit patterns above holds three digits, then one space or dash or four stars or
# nothing, then four digits (mobile 138 1234, card 6222 0212, ID and landline numbers run on): the patterns are
# not tried on a text without that. Dates, times and
# amounts (2024-03-15 09:45, 59.00) have no such run.
_DIGIT_HINT = re.compile(r"[0-9][0-9][0-9](?:[ \-]|\*{4})?[0-9]{4}")  # (a leading class, not a repeat, lets
# sre skip quickly to candidate positions; the same holds for the literal start of the next pattern)
_ODD_MASK_RUN = re.compile(r"\*\*\*(?<!\*\*\*\*)(?:\*{0,2}(?!\*)|\*{4,})")  # runs of 3-5 or 7+ stars
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CODES = "10X98765432"


def id_checksum_ok(number: str) -> bool:
    """True if an 18-character resident ID number has a valid ISO 7064 MOD 11-2 check character."""
    if len(number) != 18 or not number[:17].isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS))
    return _ID_CODES[total % 11] == number[17].upper()


def luhn_ok(digits: str) -> bool:
    """True if a digit string passes the Luhn check used by bank cards."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _id_repl(m: re.Match) -> str:
    return "<ID>" if id_checksum_ok(m.group(0)) else m.group(0)


def _card_repl(m: re.Match) -> str:
    digits = re.sub(r"[ \-]", "", m.group(0))
    if not 16 <= len(digits) <= 19:
        return m.group(0)
    if luhn_ok(digits) or _CARD_CONTEXT.search(m.string, max(0, m.start() - 8), m.start()):
        return "<CARD>"
    return m.group(0)


def mask_pii(text: str) -> str:
    """Replace phone numbers, landlines, ID and bank-card numbers and e-mails by typed placeholders.

    Already-masked runs of ``*`` become one ``******``. Other text is returned unchanged.

    >>> mask_pii("客户13812345678反映,身份证11010519491231002x,工单号20240315000123")
    '客户<PHONE>反映,身份证<ID>,工单号20240315000123'
    """
    if not text:
        return "" if text is None else text
    text = _mask_email_and_runs(text)
    if _DIGIT_HINT.search(text):  # fast gate: no match of the patterns below is possible without it
        text = _mask_numbers(text)
    return text


def mask_pii_lines(joined: str) -> list[str]:
    """``[mask_pii(line) for line in joined.split("\\n")]``, faster: e-mails and masked runs are replaced in
    one pass over the batch, the number patterns run only on lines with a hint of a number to mask."""
    if "@" in joined:  # few lines hold "@": the e-mail pattern is slow to scan, so only they see it
        joined = "\n".join([_EMAIL.sub("<EMAIL>", line) if "@" in line else line for line in joined.split("\n")])
    if "***" in joined:
        joined = _ODD_MASK_RUN.sub(_mask_run_repl, joined)
    lines = joined.split("\n")
    m = _DIGIT_HINT.search(joined)
    if m is None:
        return lines
    if len(lines) == 1:
        return [_mask_numbers(joined)]
    starts = list(accumulate((len(line) + 1 for line in lines[:-1]), initial=0))
    while m is not None:
        i = bisect_right(starts, m.start()) - 1
        lines[i] = _mask_numbers(lines[i])
        m = _DIGIT_HINT.search(joined, starts[i + 1]) if i + 1 < len(starts) else None
    return lines


def _mask_email_and_runs(text: str) -> str:
    """E-mails → <EMAIL>; runs of 3+ stars → ``******`` (except 138****5678)."""
    if "@" in text:
        text = _EMAIL.sub("<EMAIL>", text)
    if "***" in text:  # runs of exactly six stars are already canonical: only the others are visited
        text = _ODD_MASK_RUN.sub(_mask_run_repl, text)
    return text


# Necessary parts of each pattern's matches that start with a literal or a class: searching for them is ~20×
# cheaper than trying the full pattern (which starts with lookarounds) at every position.
_ID_GATE = re.compile(r"[0-9][0-9]{16}")
_CARD_GATE = re.compile(r"[3-6][0-9]{3}[ \-]?[0-9]{4}[ \-]?[0-9]{4}")
_MOBILE_GATE = re.compile(r"1[3-9][0-9](?:[ \-]?[0-9]{4}|\*{4})")
_TEL_GATE = re.compile(r"0[0-9][0-9]")


def _mask_numbers(text: str) -> str:
    if _ID_GATE.search(text):
        text = _ID.sub(_id_repl, text)
    if _CARD_GATE.search(text):
        text = _CARD.sub(_card_repl, text)
    if _MOBILE_GATE.search(text):
        text = _MOBILE.sub("<PHONE>", text)
    if _TEL_GATE.search(text):
        text = _TEL.sub("<TEL>", text)
    return text


def _mask_run_repl(m: re.Match) -> str:
    return m.group(0) if _is_half_masked_phone(m) else MASK_RUN


def _is_half_masked_phone(m: re.Match) -> bool:
    """``138****5678``: leave the four stars for the mobile pattern, which masks the whole number."""
    s, a, b = m.string, m.start(), m.end()
    if b - a != 4 or a < 3 or not s[a - 3:a].isdigit():
        return False
    after = s[b:b + 4]
    return after.partition("\n")[0].isdigit()  # (in a batch, the line ends at a newline)
