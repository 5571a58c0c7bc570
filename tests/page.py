"""Reading the page in AppTest: its figures by the key the page gave them, and a clean-run check.

Not a test module. Every test that looks at a chart goes through `figures`, so how a chart reaches the
page (the keyed component of playground/sections/plot.py, whose data is the figure as JSON bytes) is
known in one place.
"""

from __future__ import annotations

import base64
import io
import json
import re

import numpy as np
from PIL import Image

from playground.sections.plot import COMPONENT_NAME


def decode(values) -> np.ndarray:
    """A trace's array as numbers: plotly.js's typed-array JSON (uint8 bytes, as the page sends big planes) or a
    plain list."""
    if isinstance(values, dict):
        assert values["dtype"] == "u1"
        data = np.frombuffer(base64.b64decode(values["bdata"]), dtype=np.uint8)
        return data.reshape([int(n) for n in values["shape"].split(",")]) if "shape" in values else data
    return np.asarray(values, dtype=np.float64)


def embedded_figure(html: str) -> dict:
    """The figure an HTML export draws, read back from its `Plotly.newPlot(id, data, layout, config)` and
    `Plotly.addFrames(id, frames)` calls as JSON values (however the encoder escaped its text)."""
    (div_id,) = re.findall(r'<div id="([^"]+)" class="plotly-graph-div"', html)
    decoder, gap = json.JSONDecoder(), re.compile(r"[\s,]*")

    def arguments(call: str, count: int) -> list:
        """The JSON arguments after the graph div's id in `call(id, …)` (the inlined plotly.js names it too)."""
        (start,) = [m.end() for m in re.finditer(re.escape(call) + r"\(\s*['\"]" + re.escape(div_id) + "['\"]", html)]
        values, position = [], start
        for _ in range(count):
            value, position = decoder.raw_decode(html, gap.match(html, position).end())
            values.append(value)
        return values

    data, layout, _ = arguments("Plotly.newPlot", 3)
    frames = arguments("Plotly.addFrames", 1)[0] if "Plotly.addFrames(" in html else []
    return {"data": data, "layout": layout, "frames": frames}


def assert_same_values(actual, expected, rtol: float = 1e-6, where: str = "figure") -> None:
    """`actual` and `expected` (parsed JSON) hold the same text, flags and numbers (numbers to `rtol`: a float32
    array may be written to its own shortest digits by one encoder and to a double's by another)."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict) and actual.keys() == expected.keys(), where
        for key in expected:
            assert_same_values(actual[key], expected[key], rtol, f"{where}.{key}")
    elif isinstance(expected, list) and all(isinstance(v, int | float) and not isinstance(v, bool) for v in expected):
        assert isinstance(actual, list), where
        np.testing.assert_allclose(np.asarray(actual, dtype=float), np.asarray(expected, dtype=float), rtol=rtol,
                                   err_msg=where)
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), where
        for index, (a, e) in enumerate(zip(actual, expected)):
            assert_same_values(a, e, rtol, f"{where}[{index}]")
    elif isinstance(expected, float):
        assert actual == np.float64(expected) or np.isclose(actual, expected, rtol=rtol), where
    else:
        assert actual == expected, where


def image_rgba(source: str) -> np.ndarray:
    """A layout image's pixels (H, W, 4) RGBA uint8, row 0 at the top, from its PNG data URI."""
    head, _, data = source.partition(",")
    assert head == "data:image/png;base64"
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(data))).convert("RGBA"))


def images_at_frame(fig: dict, k: int) -> list[dict]:
    """The layout images as plotly.js shows them at animation frame k (the frame's image updates merged in)."""
    images = [dict(image) for image in fig["layout"].get("images", [])]
    for index, update in enumerate(fig["frames"][k].get("layout", {}).get("images", [])):
        images[index].update(update)
    return images


def image_at(image: dict, u, v) -> np.ndarray:
    """The RGBA pixel (…, 4) a layout image (placed by its left x, top y, sizex, sizey in axis units, stretched)
    shows at axis coordinates (u, v)."""
    pixels = image_rgba(image["source"])
    height, width = pixels.shape[:2]
    column = np.floor((np.asarray(u) - image["x"]) / image["sizex"] * width).astype(int)
    row = np.floor((image["y"] - np.asarray(v)) / image["sizey"] * height).astype(int)
    assert (0 <= column).all() and (column < width).all() and (0 <= row).all() and (row < height).all()
    return pixels[row, column]


def nearest_on_scale(rgb: np.ndarray, colours: np.ndarray) -> np.ndarray:
    """For each RGB colour (…, 3), the index of the nearest colour in `colours` (K, 3) and how far it is."""
    distance = np.linalg.norm(rgb[..., None, :3].astype(float) - colours.astype(float), axis=-1)  # (…, K)
    return distance.argmin(axis=-1), distance.min(axis=-1)


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
