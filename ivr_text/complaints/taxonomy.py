"""Complaint cause taxonomy: classes, their cold-start keyword rules and root-cause families, validated.

``load_taxonomy(path=None)`` reads ``dictionaries/taxonomy.yaml`` (or a user's file) into a frozen
:class:`Taxonomy`. Validation names the file and the offending entry in one line (missing field, unknown
family, duplicate class, non-numeric weight, bad side/controllability). ``Taxonomy.fingerprint`` is a
SHA-256 of the canonical content, recorded in trained models so a model is never used with another taxonomy.
Loading is pure (no code in the file is executed: ``yaml.safe_load``).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from ivr_text.errors import InputError

SIDES = ("internal", "external")
CONTROLLABILITY = ("可控", "部分可控", "不可控")


@dataclass(frozen=True)
class Family:
    """A root-cause family of the churn-cause fishbone (产品质量, 政策措施, …)."""

    name: str
    side: str
    controllability: str
    description: str = ""


@dataclass(frozen=True)
class CoRule:
    """Fires (adds ``weight``) only when every term occurs in the text."""

    terms: tuple[str, ...]
    weight: float

    @property
    def label(self) -> str:
        return "+".join(self.terms)


@dataclass(frozen=True)
class CauseClass:
    name: str
    description: str
    family: str
    keywords: dict[str, float] = field(default_factory=dict)
    all_of: tuple[CoRule, ...] = ()


@dataclass(frozen=True)
class Taxonomy:
    name: str
    classes: tuple[CauseClass, ...]
    families: dict[str, Family]
    unmatched_label: str = "未分类"
    source: str = "<memory>"

    @property
    def labels(self) -> list[str]:
        return [c.name for c in self.classes]

    def family_of(self, label: str) -> Family | None:
        cls = next((c for c in self.classes if c.name == label), None)
        return self.families.get(cls.family) if cls else None

    def family_table(self) -> dict[str, dict[str, str]]:
        """``{class: {family, side, controllability}}`` for joining onto predictions."""
        out = {}
        for c in self.classes:
            f = self.families[c.family]
            out[c.name] = {"family": f.name, "side": f.side, "controllability": f.controllability}
        return out

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "unmatched_label": self.unmatched_label,
            "families": {k: {"side": f.side, "controllability": f.controllability, "description": f.description}
                         for k, f in sorted(self.families.items())},
            "classes": [{"name": c.name, "description": c.description, "family": c.family,
                         "keywords": dict(sorted(c.keywords.items())),
                         "all_of": [{"terms": list(r.terms), "weight": r.weight} for r in c.all_of]}
                        for c in self.classes],
        }

    @property
    def fingerprint(self) -> str:
        """SHA-256 over the canonical content (class order matters; file formatting does not)."""
        blob = json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def load_taxonomy(path: str | Path | None = None) -> Taxonomy:
    """Read and validate a taxonomy YAML file; ``None`` = the shipped default."""
    from ivr_text.resources import dictionary_path, read_yaml

    path = Path(path) if path is not None else dictionary_path("taxonomy.yaml")
    return taxonomy_from_dict(read_yaml(path, "YAML taxonomy", mapping=False), source=str(path))


def taxonomy_from_dict(raw: object, source: str = "<memory>") -> Taxonomy:
    """Validate a parsed taxonomy mapping; every problem raises :class:`InputError` naming ``source``."""

    def bad(msg: str) -> InputError:
        return InputError(f"{source}: taxonomy {msg}")

    if not isinstance(raw, dict):
        raise bad("must be a mapping with 'families' and 'classes'")
    for key in ("families", "classes"):
        if key not in raw:
            raise bad(f"is missing the field '{key}'")
    fam_raw = raw["families"]
    if not isinstance(fam_raw, dict) or not fam_raw:
        raise bad("'families' must be a non-empty mapping {name: {side, controllability}}")
    families: dict[str, Family] = {}
    for fname, spec in fam_raw.items():
        if not isinstance(spec, dict):
            raise bad(f"family '{fname}' must be a mapping with side and controllability")
        for key in ("side", "controllability"):
            if key not in spec:
                raise bad(f"family '{fname}' is missing the field '{key}'")
        if spec["side"] not in SIDES:
            raise bad(f"family '{fname}': side '{spec['side']}' is not one of {', '.join(SIDES)}")
        if spec["controllability"] not in CONTROLLABILITY:
            raise bad(f"family '{fname}': controllability '{spec['controllability']}' is not one of "
                      f"{', '.join(CONTROLLABILITY)}")
        families[str(fname)] = Family(str(fname), spec["side"], spec["controllability"],
                                      str(spec.get("description", "")))

    cls_raw = raw["classes"]
    if not isinstance(cls_raw, list) or len(cls_raw) < 2:
        raise bad("'classes' must be a list of at least two classes")
    classes: list[CauseClass] = []
    seen: set[str] = set()
    for i, spec in enumerate(cls_raw, start=1):
        if not isinstance(spec, dict):
            raise bad(f"class #{i} must be a mapping")
        for key in ("name", "family"):
            if not spec.get(key):
                raise bad(f"class #{i} is missing the field '{key}'")
        name = str(spec["name"]).strip()
        where = f"class '{name}'"
        if name in seen:
            raise bad(f"has a duplicate class '{name}'")
        seen.add(name)
        if spec["family"] not in families:
            raise bad(f"{where}: unknown family '{spec['family']}' (known: {', '.join(families)})")
        keywords = spec.get("keywords") or {}
        if not isinstance(keywords, dict):
            raise bad(f"{where}: 'keywords' must be a mapping {{term: weight}}")
        kw: dict[str, float] = {}
        for term, weight in keywords.items():
            if not isinstance(weight, (int, float)) or isinstance(weight, bool):
                raise bad(f"{where}: keyword '{term}' has a non-numeric weight '{weight}'")
            term = _norm_term(term)
            if not term:
                raise bad(f"{where}: empty keyword")
            kw[term] = float(weight)
        rules = []
        for j, rule in enumerate(spec.get("all_of") or [], start=1):
            if not isinstance(rule, dict) or not isinstance(rule.get("terms"), list) or len(rule["terms"]) < 2:
                raise bad(f"{where}: all_of rule #{j} needs 'terms' (a list of two or more terms)")
            weight = rule.get("weight", 1.0)
            if not isinstance(weight, (int, float)) or isinstance(weight, bool):
                raise bad(f"{where}: all_of rule #{j} has a non-numeric weight '{weight}'")
            rules.append(CoRule(tuple(_norm_term(t) for t in rule["terms"]), float(weight)))
        classes.append(CauseClass(name, str(spec.get("description", "")), str(spec["family"]), kw, tuple(rules)))
    unmatched = str(raw.get("unmatched_label", "未分类"))
    if unmatched in seen:
        raise bad(f"unmatched_label '{unmatched}' must not be a class name")
    return Taxonomy(str(raw.get("name", Path(source).stem)), tuple(classes), families, unmatched, source)


def _norm_term(term: object) -> str:
    """Keywords are matched on normalised text; normalise them the same way."""
    from ivr_text.text import normalize_text

    return normalize_text(str(term), mask=False).strip()
