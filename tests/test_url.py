"""Shareable links: every setting round-trips through the URL; bad links get notices, never a crash,
and never lift a limit the controls enforce; hidden controls are absent."""

from dataclasses import asdict, fields
from urllib.parse import parse_qs, urlsplit

import pytest

from playground.sections import classroom
from playground.settings import FIELDS, MAX_EPOCHS, Settings
from tests.page import notices


def a_setting_of_every_field() -> Settings:
    """Non-default values for every field, all legal."""
    return Settings(
        dataset="blobs", digit_target="3", target="", features="", inputs="x1,x1sq,x1x2", n_points=250, noise=1.5,
        validation_split=0.3, standardize=True, seed=42, show_validation=False, activation="tanh", hidden_layers=2,
        hidden_units=6, hidden_activation="relu", loss="mse", optimizer="rmsprop", learning_rate=0.003,
        batch_size=16, epochs=40, shuffle=False, regularization="l2", regularization_rate=0.03,
    )


def test_every_field_is_in_the_example():
    chosen, default = asdict(a_setting_of_every_field()), asdict(Settings())
    unchanged = {name for name in FIELDS if chosen[name] == default[name]}
    # The CSV target only means something with an uploaded file, the column picker only with many columns
    # (blobs picks its inputs under "Input features" instead).
    assert unchanged <= {"target", "features"}


def test_query_round_trip_without_the_page():
    original = a_setting_of_every_field()
    restored, notices = Settings.from_query(original.to_query())
    assert restored == original and notices == []


def test_a_link_with_every_setting_reproduces_the_run(app):
    original = a_setting_of_every_field()
    at = app(**original.to_query())
    assert not at.exception and not at.error
    assert at.session_state["settings"] == original
    # The URL the page writes back is the same link.
    assert {k: v for k, v in at.query_params.items()} == original.to_query()


@pytest.mark.parametrize(
    ("query", "field", "expected"),
    [
        ({"epochs": "ten"}, "epochs", Settings().epochs),
        ({"epochs": "1000000"}, "epochs", MAX_EPOCHS),
        ({"batch_size": "-5"}, "batch_size", 1),
        ({"learning_rate": "1e9"}, "learning_rate", 10.0),
        ({"learning_rate": "nan"}, "learning_rate", Settings().learning_rate),
        ({"activation": "<script>alert(1)</script>"}, "activation", Settings().activation),
        ({"hidden_layers": "99", "hidden_units": "1e6"}, "hidden_layers", 3),
        ({"noise": "-inf"}, "noise", Settings().noise),
        ({"n_points": "10000000"}, "n_points", 2000),
    ],
)
def test_malformed_links_render_with_a_notice_and_keep_the_limits(app, query, field, expected):
    at = app(**query)
    assert not at.exception and not at.error
    assert getattr(at.session_state["settings"], field) == expected
    assert notices(at), "the page says what it changed"
    assert all("<script>" not in box.value for box in at.info)  # user text is escaped: \<script\>


def test_unknown_parameters_are_reported_and_ignored(app):
    at = app(foo="1", epochs="12")
    assert at.session_state["settings"].epochs == 12
    assert any("foo" in text for text in notices(at))
    at.run()  # still there on the next run: a class has time to read it
    assert any("foo" in text for text in notices(at))
    at.button(key="dismiss_notices").click().run()
    assert not notices(at)


def test_a_linked_batch_size_larger_than_the_data_says_what_it_does(app):
    at = app(batch_size="5000")  # the line: 100 points, 80 for training
    assert at.session_state["settings"].batch_size == 2000  # the schema's limit; the run uses all 80
    assert notices(at) == ["Batch size: 5000 is more than the 80 training points of this data, so each update uses "
                           "all 80 (full batch)."]


def test_hidden_controls_are_absent_from_the_page(app):
    at = app(learning_rate_hide="true", optimizer_hide="1", dataset_hide="true")
    labels = [w.label for w in [*at.sidebar.selectbox, *at.sidebar.select_slider, *at.sidebar.slider]]
    for name in ("learning_rate", "optimizer", "dataset"):
        assert FIELDS[name].metadata["label"] not in labels
    assert FIELDS["epochs"].metadata["label"] in labels
    assert at.query_params["learning_rate_hide"] == "true"  # the hides stay in the link


@pytest.mark.parametrize(("query", "not_here"), [
    ({"dataset": "digits", "hidden_layers": "1"}, {"n_points", "noise", "target", "inputs", "regularization_rate"}),
    ({"dataset": "circles", "regularization": "l2"}, {"digit_target", "target", "features", "hidden_units",
                                                      "hidden_activation"}),
])
def test_every_sidebar_setting_widget_comes_from_the_schema(app, query, not_here):
    at = app(**query)
    widgets = [*at.sidebar.selectbox, *at.sidebar.select_slider, *at.sidebar.slider, *at.sidebar.toggle,
               *at.sidebar.number_input, *at.sidebar.multiselect]
    keys = {w.key.removeprefix("w_").removesuffix("_list") for w in widgets if w.key and w.key.startswith("w_")}
    assert keys == {f.name for f in fields(Settings)} - not_here


def test_the_share_link_is_a_plain_text_field_with_this_runs_settings(app):
    at = app(learning_rate="0.3", epochs="32", learning_rate_hide="true")
    links = [w for w in at.sidebar.text_input if w.label == classroom.SHARE_LABEL]
    assert len(links) == 1
    query = parse_qs(urlsplit(links[0].value).query)
    assert query["learning_rate"] == ["0.3"] and query["epochs"] == ["32"] and query["learning_rate_hide"] == ["true"]
    assert not at.sidebar.code  # st.code would load the syntax highlighter on every first paint
