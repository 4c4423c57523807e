"""Social and chat text: @handles, ``#话题#``, URLs, emoji, repost chains and signatures, recognised in normalisation.

Weibo / WeChat / app-store complaints carry words that are not the customer's complaint: ``@中国联通客服`` holds
客服 (and so voted 服务问题), ``//@某人:`` repost markers, ``#话题#`` tags, short links, emoji, ``发自我的iPhone``.
:class:`SocialFilter` finds them on normalised text (half-width, lower case, Simplified) and, per kind, drops
them (default), masks them with a placeholder token (``<AT>``, ``<RT>``, ``<TOPIC>``, ``<URL>``, ``<EMOJI>``,
``<SIG>``) or keeps them, as ``dictionaries/social.yaml`` says. A dropped piece leaves a space, so a negation
never reaches across it. The reposted words of a chain stay: only the markers go.

Recognised, in this order:

- URLs with a scheme, ``www.`` or ``t.cn/``; bare domains (10086.cn) are words of the complaint and stay;
- emoji (pictographs, dingbats, flags, keycaps) and the bracket emoticons listed in the file (``[怒]``);
- signatures at the end of a text (``发自我的iPhone``, ``来自微博客户端``, ``(分享自 @…)``) and a text that is
  only ``转发微博`` (patterns in the file);
- repost markers ``//@name:`` and ``回复@name:``;
- handles: ``@`` + letters, digits, ``_``, ``-``, ``·`` or Chinese characters up to a space, punctuation, ``@``,
  ``#`` or ``:``; an ``@`` right after a Latin letter, digit or ``._%+-*`` (e-mail addresses, also with the
  operator's ``******`` mask as local part) is not a handle.
  Weibo nicknames are at most ``handle_max_chars`` = 30 bytes (a Chinese character counts 2): a handle glued to
  the words after it (``@中国联通客服为什么没网``) is cut there, so at most those first words go with it;
- topics ``#…#`` (1–40 characters holding a letter or Chinese character, no newline; not the phone codes
  ``*#06#`` / ``##002#``), except inside a chain of ``#``-separated fields as agents write
  addresses (所在位置#松原市#前郭县#高家村: a ``#`` with field text right before the opening or right after the
  closing one).

Guarantees: total (any ``str`` in, ``str`` out; never crosses a newline), idempotent (``apply`` repeats until
nothing changes; property-tested through ``normalize_text``); under ``drop`` the result holds no ``@``-handle,
URL, topic or emoji; a text without any hint (``@ # [``, ``http``, ``www.``, ``t.cn/``, an emoji character,
发自/来自/分享自/via/转发微博) is returned unchanged after one regex search, so work orders cost nothing.
"""

from __future__ import annotations

import hashlib
import json
import re
from bisect import bisect_right
from itertools import accumulate
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from ivr_text.errors import InputError
from ivr_text.resources import dictionary_path, read_yaml

__all__ = ["SocialFilter", "load_social", "default_social", "SOCIAL_PLACEHOLDERS", "KINDS", "ACTIONS",
           "SHIPPED_SOCIAL"]

SHIPPED_SOCIAL = "social.yaml"
KINDS = ("url", "emoji", "signature", "repost", "handle", "topic")
ACTIONS = ("drop", "mask", "keep")
SOCIAL_PLACEHOLDERS = {"url": "<URL>", "emoji": "<EMOJI>", "signature": "<SIG>", "repost": "<RT>",
                       "handle": "<AT>", "topic": "<TOPIC>"}

_HAN = "\u4e00-\u9fd5"
_EMOJI_CHARS = ("\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF\u2300-\u23FF\uFE0F\u20E3"
                "\u3030\u303D\u3297\u3299")
_HANDLE_BODY = rf"[0-9a-z_\-·{_HAN}]"
_HANDLE = re.compile(rf"@(?<![0-9a-z._%+\-*]@){_HANDLE_BODY}+")  # literal first: sre jumps from @ to @
_REPOST = re.compile(rf"(?://|回复)[ ]?@{_HANDLE_BODY}+[ ]?:?")
_TOPIC = re.compile(rf"#(?<![#*]#)(?=[^#\n]{{0,39}}[a-z{_HAN}])[^#\n]{{1,40}}#")  # not *#06# / ##002#
_FIELD_AFTER = re.compile(r"[^#\s]{1,40}#")     # #松原市#前郭县#…: '#' separating fields, not topics
_FIELD_BEFORE = re.compile(r"#[^#\s]{1,40}$")
_URL = re.compile(r"(?:https?://|www\.|(?<![0-9a-z.])t\.cn/)[0-9a-z\-._~:/?#\[\]@!$&'()*+,;=%]*")
_HINT_STRINGS = ("@", "#", "[", "http", "www.", "t.cn/", "发自", "来自", "分享自", "via", "转发微博")
_EMOJI_HINT = re.compile("[\u2600-\u27BF\u2B00-\u2BFF\u2300-\u23FF\uFE0F\u20E3\u3030\u303D\u3297\u3299]"
                         "|[\U00010000-\U0010ffff]")


_KIND_HINT = {
    "url": lambda t: "http" in t or "www." in t or "t.cn/" in t,
    "emoji": lambda t: "[" in t or (not t.isascii() and _EMOJI_HINT.search(t) is not None),
    "signature": lambda t: "发自" in t or "来自" in t or "分享自" in t or "via" in t or "转发微博" in t,
    "repost": lambda t: "@" in t,
    "handle": lambda t: "@" in t,
    "topic": lambda t: "#" in t,
}


def has_hint(text: str) -> bool:
    """Whether ``text`` may hold a social piece (substring tests, one regex only on non-ASCII text)."""
    for h in _HINT_STRINGS:
        if h in text:
            return True
    return not text.isascii() and _EMOJI_HINT.search(text) is not None


def hinted_lines(lines: list[str], joined: str) -> set[int]:
    """Indices of ``lines`` (``joined`` = the lines joined by newlines) that :func:`has_hint`, found with one
    scan of ``joined`` per hint string."""
    starts: list[int] | None = None
    found: set[int] = set()

    def line_of(pos: int) -> int:
        nonlocal starts
        if starts is None:
            starts = list(accumulate((len(line) + 1 for line in lines[:-1]), initial=0))
        return bisect_right(starts, pos) - 1

    for h in _HINT_STRINGS:
        pos = joined.find(h)
        while pos >= 0:
            i = line_of(pos)
            found.add(i)
            nxt = joined.find("\n", pos)  # the rest of this line is known: go on from the next one
            if nxt < 0:
                break
            pos = joined.find(h, nxt)
    if not joined.isascii():
        for m in _EMOJI_HINT.finditer(joined):
            found.add(line_of(m.start()))
    return found
_SPACES = re.compile(" {2,}")


def _weighted_cut(name: str, limit: int) -> int:
    """How many characters of ``name`` fit in ``limit`` bytes, a Chinese character counting 2 (Weibo's rule)."""
    used = 0
    for i, ch in enumerate(name):
        used += 2 if "\u4e00" <= ch <= "\u9fd5" else 1
        if used > limit:
            return i
    return len(name)


@dataclass(frozen=True)
class SocialFilter:
    """What to do with each kind of social-text piece (``actions``: kind → drop / mask / keep)."""

    actions: dict[str, str] = field(default_factory=lambda: dict.fromkeys(KINDS, "drop"))
    emoticons: tuple[str, ...] = ()
    signatures: tuple[str, ...] = ()
    handle_max_chars: int = 30

    def __post_init__(self):
        for kind, action in self.actions.items():
            if kind not in KINDS:
                raise InputError(f"social: unknown kind {kind!r} (kinds: {', '.join(KINDS)})")
            if action not in ACTIONS:
                raise InputError(f"social: {kind}: action {action!r} is not one of {', '.join(ACTIONS)}")
        try:
            sigs = tuple(re.compile(p) for p in self.signatures)
        except re.error as exc:
            raise InputError(f"social: bad signature pattern ({exc})") from None
        emo = "|".join(re.escape(e) for e in sorted(self.emoticons, key=len, reverse=True))
        emoji = re.compile(rf"[{_EMOJI_CHARS}]+" + (rf"|\[(?:{emo})\]" if emo else ""))
        object.__setattr__(self, "_patterns", {"url": _URL, "emoji": emoji, "repost": _REPOST, "topic": _TOPIC})
        object.__setattr__(self, "_signatures", sigs)

    @property
    def fingerprint(self) -> str:
        """Identifies the configuration."""
        blob = json.dumps([sorted(self.actions.items()), sorted(self.emoticons), list(self.signatures),
                           self.handle_max_chars], ensure_ascii=False)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:12]

    @property
    def active(self) -> bool:
        """Whether any kind is dropped or masked."""
        return any(self.actions.get(k, "keep") != "keep" for k in KINDS)

    def with_action(self, action: str) -> "SocialFilter":
        """The same patterns with one action for every kind."""
        return SocialFilter(dict.fromkeys(KINDS, action), self.emoticons, self.signatures, self.handle_max_chars)

    def apply_lines(self, lines: list[str], joined: str | None = None) -> list[str]:
        """``[apply(s) for s in lines]``; only lines found by :func:`hinted_lines` on ``joined`` (the lines joined
        by newlines, given or built) are looked at."""
        joined = "\n".join(lines) if joined is None else joined
        todo = hinted_lines(lines, joined)
        if not todo:
            return lines
        lines = list(lines)
        for i in todo:
            lines[i] = self.apply(lines[i])
        return lines

    def apply(self, text: str) -> str:
        """The text with social pieces dropped / masked / kept per kind; unchanged without a hint."""
        if not text or not has_hint(text):
            return text
        if "\n" in text:
            return "\n".join(self.apply(line) for line in text.split("\n"))
        for _ in range(6):  # removing a piece can expose another (a@b@c → @c after a space): repeat until stable
            new = self._once(text)
            if new == text:
                break
            text = new
        return text

    def _once(self, text: str) -> str:
        for kind in KINDS:
            action = self.actions.get(kind, "keep")
            if action == "keep" or not _KIND_HINT[kind](text):
                continue
            repl = " " if action == "drop" else f" {SOCIAL_PLACEHOLDERS[kind]} "
            if kind == "signature":
                for pat in self._signatures:
                    text = pat.sub(repl, text.strip())
            elif kind == "handle":
                text = _HANDLE.sub(lambda m: self._handle(m, repl), text)
            elif kind == "topic":
                text = _TOPIC.sub(lambda m: _topic(m, repl), text)
            else:
                text = self._patterns[kind].sub(repl, text)
        if "  " in text:
            text = _SPACES.sub(" ", text)
        return text.strip()

    def _handle(self, m: re.Match, repl: str) -> str:
        name = m.group(0)[1:]
        keep = _weighted_cut(name, self.handle_max_chars)
        return repl + (" " + name[keep:] if keep < len(name) else "")


def _topic(m: re.Match, repl: str) -> str:
    """A ``#…#`` topic, unless it is part of a chain of '#'-separated fields (所在位置#松原市#前郭县#…)."""
    text, start, end = m.string, m.start(), m.end()
    if _FIELD_AFTER.match(text, end) or _FIELD_BEFORE.search(text, max(0, start - 41), start):
        return m.group(0)
    return repl


def load_social(path: str | Path | None = None, action: str | None = None) -> SocialFilter:
    """Social-text config from YAML (default: the shipped ``social.yaml``); ``action`` overrides every kind."""
    path = Path(path) if path is not None else dictionary_path(SHIPPED_SOCIAL)
    raw = read_yaml(path, "social-text file")
    unknown = set(raw) - {"actions", "emoticons", "signatures", "handle_max_chars"}
    if unknown:
        raise InputError(f"{path}: unknown key(s) {', '.join(sorted(map(str, unknown)))}; "
                         "allowed: actions, emoticons, signatures, handle_max_chars")
    actions = raw.get("actions") or {}
    if not isinstance(actions, dict):
        raise InputError(f"{path}: 'actions' must map a kind ({', '.join(KINDS)}) to drop, mask or keep")
    try:
        social = SocialFilter({**dict.fromkeys(KINDS, "drop"), **{str(k): str(v) for k, v in actions.items()}},
                              tuple(str(e).lower() for e in raw.get("emoticons") or ()),
                              tuple(str(p) for p in raw.get("signatures") or ()),
                              int(raw.get("handle_max_chars", 30)))
    except InputError as exc:
        raise InputError(f"{path}: {exc}") from None
    except (TypeError, ValueError):
        raise InputError(f"{path}: handle_max_chars must be a whole number") from None
    return social.with_action(action) if action is not None else social


@lru_cache(maxsize=4)
def default_social(action: str = "drop") -> SocialFilter:
    """The shipped config (``"drop"``: as the file says) or the same patterns with one action for every kind."""
    social = load_social()
    return social if action == "drop" else social.with_action(action)
