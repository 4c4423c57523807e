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
  ``#`` or ``:``; an ``@`` right after a Latin letter, digit or ``._%+-`` (e-mail addresses) is not a handle.
  Weibo nicknames are at most ``handle_max_chars`` = 30 bytes (a Chinese character counts 2): a handle glued to
  the words after it (``@中国联通客服为什么没网``) is cut there, so at most those first words go with it;
- topics ``#…#`` (1–40 characters, no newline).

Guarantees: total (any ``str`` in, ``str`` out; never crosses a newline), idempotent (``apply`` repeats until
nothing changes; property-tested through ``normalize_text``); under ``drop`` the result holds no ``@``-handle,
URL, topic or emoji; a text without any hint (``@ # [``, ``http``, ``www.``, ``t.cn/``, an emoji character,
发自/来自/分享自/via/转发微博) is returned unchanged after one regex search, so work orders cost nothing.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from ivr_text.errors import InputError

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
_HANDLE = re.compile(rf"(?<![0-9a-z._%+\-])@{_HANDLE_BODY}+")
_REPOST = re.compile(rf"(?://|回复)[ ]?@{_HANDLE_BODY}+[ ]?:?")
_TOPIC = re.compile(r"#[^#\n]{1,40}#")
_URL = re.compile(r"(?:https?://|www\.|(?<![0-9a-z.])t\.cn/)[0-9a-z\-._~:/?#\[\]@!$&'()*+,;=%]*")
_HINT = re.compile(rf"[@#\[{_EMOJI_CHARS}]|http|www\.|t\.cn/|发自|来自|分享自|via|转发微博")
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

    def apply(self, text: str) -> str:
        """The text with social pieces dropped / masked / kept per kind; unchanged without a hint."""
        if not text or not _HINT.search(text):
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
            if action == "keep":
                continue
            repl = " " if action == "drop" else f" {SOCIAL_PLACEHOLDERS[kind]} "
            if kind == "signature":
                for pat in self._signatures:
                    text = pat.sub(repl, text.strip())
            elif kind == "handle":
                text = _HANDLE.sub(lambda m: self._handle(m, repl), text)
            else:
                text = self._patterns[kind].sub(repl, text)
        if "  " in text:
            text = _SPACES.sub(" ", text)
        return text.strip()

    def _handle(self, m: re.Match, repl: str) -> str:
        name = m.group(0)[1:]
        keep = _weighted_cut(name, self.handle_max_chars)
        return repl + (" " + name[keep:] if keep < len(name) else "")


def load_social(path: str | Path | None = None, action: str | None = None) -> SocialFilter:
    """Social-text config from YAML (default: the shipped ``social.yaml``); ``action`` overrides every kind."""
    from ivr_text.resources import dictionary_path, read_yaml

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
