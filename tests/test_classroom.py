"""Classroom tools: the share link is this run's (never one step behind), and its QR code encodes exactly it."""

import base64
import io
from urllib.parse import parse_qsl, urlsplit

import numpy as np
import segno
from PIL import Image

from playground.sections.classroom import SHARE_LABEL, qr_png
from playground.settings import Settings
from tests.page import assert_clean, shown


def shared_link(at) -> str:
    (field,) = [w.value for w in at.sidebar.text_input if w.label == SHARE_LABEL]
    return field


def test_the_share_link_is_the_run_on_screen_after_a_change(app):
    at = app(dataset="circles", inputs="x1,x2,x1sq,x2sq", noise_hide="true")
    assert_clean(at)
    at.select_slider(key="w_learning_rate").set_value(0.1).run()
    assert_clean(at)
    params = dict(parse_qsl(urlsplit(shared_link(at)).query))
    assert params.pop("noise_hide") == "true"  # the page's hides travel with it
    settings, notices = Settings.from_query(params)
    assert not notices and settings == at.session_state["settings"]  # the new learning rate, not the one before
    assert settings.learning_rate == 0.1 and settings.inputs == "x1,x2,x1sq,x2sq"


def modules(uri: str, scale: int = 6, border: int = 2) -> np.ndarray:
    """The dark modules of a QR code image (a PNG data URI), read at each module's centre."""
    assert uri.startswith("data:image/png;base64,")
    png = base64.b64decode(uri.split(",", 1)[1])
    pixels = np.array(Image.open(io.BytesIO(png)).convert("L"))
    centres = np.arange(border * scale + scale // 2, pixels.shape[0] - border * scale, scale)
    return pixels[np.ix_(centres, centres)] < 128


def test_the_qr_code_is_the_share_link(app):
    at = app(lesson="nonlinear:2", presenter="true")
    assert_clean(at)
    link = shared_link(at)
    expected = np.array(segno.make(link, error="m").matrix, dtype=bool)
    assert np.array_equal(modules(qr_png(link)), expected)
    assert len(at.get("image")) == 1  # the sidebar's: the projector's opens on demand, full screen


def test_the_student_link_opens_a_student_page_on_the_view_shown_with_the_lesson_and_the_class(app):
    at = app(lesson="nonlinear:2", presenter="true", **{"class": "room-9"})
    assert_clean(at)
    params = dict(parse_qsl(urlsplit(shared_link(at)).query))
    assert "presenter" not in params  # a phone gets the student page, not the projector's
    assert params["view"] == "Fit & landscape" and params["lesson"] == "nonlinear:2" and params["class"] == "room-9"
    at.session_state["view"] = "Network"  # the viewer changes tab: the link follows
    at.run()
    params = dict(parse_qsl(urlsplit(shared_link(at)).query))
    assert params["view"] == "Network"
    caption = shown(" ".join(c.value for c in at.sidebar.caption))
    assert ("Opens the student page (not presenter mode) with the Network view, lesson “Beyond a straight line” "
            "part 2, these settings and class room-9's board joined.") in caption


def test_the_full_screen_qr_code_has_modules_of_eight_pixels_or_more(app):
    at = app(lesson="nonlinear:2", presenter="true", **{"class": "room-9"})
    at.button(key="qr_full_screen").click().run()
    assert_clean(at)
    link = shared_link(at)
    size = np.array(segno.make(link, error="m").matrix).shape[0] + 4  # modules with the quiet zone
    pngs = [Image.open(io.BytesIO(base64.b64decode(image.proto.imgs[0].url.split(",", 1)[1])))
            for image in at.get("image")]
    sidebar, full = sorted(png.width / size for png in pngs)  # px a module
    assert sidebar == 6 and full >= 8
    assert any("Opens the student page (not presenter mode)" in shown(c.value) for c in at.caption)
