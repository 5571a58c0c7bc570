"""Reading the page in AppTest: its figures by the key the page gave them, and a clean-run check.

Not a test module. Every test that looks at a chart goes through `figures`, so how a chart reaches the
page (the keyed component of playground/sections/plot.py, whose data is the figure as JSON bytes) is
known in one place.
"""

from __future__ import annotations

import base64
import json
import re

import numpy as np

from playground.sections.plot import COMPONENT_NAME


def decode(values) -> np.ndarray:
    """A trace's array as numbers: plotly.js's typed-array JSON (uint8 bytes, as the page sends big planes) or a
    plain list."""
    if isinstance(values, dict):
        assert values["dtype"] == "u1"
        data = np.frombuffer(base64.b64decode(values["bdata"]), dtype=np.uint8)
        return data.reshape([int(n) for n in values["shape"].split(",")]) if "shape" in values else data
    return np.asarray(values, dtype=np.float64)


def figures(at) -> dict[str, dict]:
    """Every Plotly figure on the page as a dict, by the key the page drew it with."""
    found = {}
    for element in at.get("bidi_component"):
        if element.proto.component_name != COMPONENT_NAME:
            continue
        key = element.proto.id.rsplit("-", 1)[-1]  # "$$ID-<hash>-<key>"
        found[key] = json.loads(element.proto.bytes)
    return found


def figure(at, key: str) -> dict:
    """The one figure drawn with `key`."""
    return figures(at)[key]


def assert_clean(at) -> None:
    """No exception and no error box on the page."""
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def notices(at) -> list[str]:
    """The lines of the page's notice box as a reader sees them (the box stays until dismissed)."""
    return [shown(line) for box in at.info if box.icon == ":material/info:" for line in box.value.split("  \n")]


def shown(markdown: str) -> str:
    """The text a reader sees of Markdown the page escaped (`safe_text.markdown_literal`): escapes removed."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown).replace("\u2060", "")
