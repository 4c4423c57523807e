"""The sample-world simulator writes byte-identical files for a fixed seed and options.

The digests below were taken from the generator before it was split into the ``ivr_text.samples`` package
(``ivr_text/samples.py`` at commit aefd0ba); a change of any written byte fails here. The README of a world
names the templates' module, whose path the split changed: it is compared with that one path put back.
"""

from __future__ import annotations

import hashlib

import pytest

from ivr_text.samples import generate_world

CASES = {
    "default": dict(seed=5, calls=400, customers=120, months=8),
    "curve": dict(seed=2, calls=200, customers=150, months=14, world="curve"),
    "planted": dict(seed=7, calls=300, customers=60, months=3, start="2023-11",
                    option_seconds={"root": 2.5, "bill": 1.0}, hour_hangup={1: 6.0, 2: 6.0, 3: 6.0}),
}
MENU = "226e4a7acecf4767"
DIGESTS = {
    "default": {"README.md": "81f0f0be57130c1b", "churn_labels.csv": "88bc99d18b030d8e",
                "complaints.csv": "089c34b7f7cbedec", "feedback.csv": "fc1509fc6b756d46",
                "ivr_events.csv": "e0ec2f5e6d36a78a", "menu.yaml": MENU, "truth.json": "6afa02b76eeb78b4",
                "usage.csv": "d0f141034b5e214e"},
    "curve": {"README.md": "4c60fb7f68cac0e0", "churn_labels.csv": "300b004f739fbede",
              "complaints.csv": "db72b5cf268c0a45", "feedback.csv": "5cc78fe24da78720",
              "ivr_events.csv": "633e55e9a34f3ba4", "menu.yaml": MENU, "truth.json": "6d7cb58e31c1a1ca",
              "usage.csv": "bdd5382eb5106f50"},
    "planted": {"README.md": "642e1841cb9b2ac5", "churn_labels.csv": "91896da3d1b63891",
                "complaints.csv": "d362e5422723d556", "feedback.csv": "2c0d66a36a45f317",
                "ivr_events.csv": "4c17c489790dc65c", "menu.yaml": MENU, "truth.json": "89b9bc4e564db0ee",
                "usage.csv": "e017e08dd8410654"},
}


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


@pytest.mark.parametrize("case", sorted(CASES))
def test_world_is_byte_identical_to_the_single_module_generator(tmp_path, case):
    paths = generate_world(tmp_path, **CASES[case])
    assert sorted(p.name for p in paths.values()) == sorted(DIGESTS[case])
    for p in paths.values():
        data = p.read_bytes()
        if p.name == "README.md":
            new = b"`ivr_text/samples/templates.py`"
            assert data.count(new) == 1
            data = data.replace(new, b"`ivr_text/sample_templates.py`")
        assert _digest(data) == DIGESTS[case][p.name], f"{case}: {p.name} changed"


def test_same_seed_same_bytes_different_seed_different_bytes(tmp_path):
    a = generate_world(tmp_path / "a", seed=11, calls=150, customers=40, months=2)
    b = generate_world(tmp_path / "b", seed=11, calls=150, customers=40, months=2)
    c = generate_world(tmp_path / "c", seed=12, calls=150, customers=40, months=2)
    for name in a:
        assert a[name].read_bytes() == b[name].read_bytes()
    assert a["ivr"].read_bytes() != c["ivr"].read_bytes()
