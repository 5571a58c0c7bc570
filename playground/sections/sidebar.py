"""The sidebar, generated from the settings schema: one widget per field, grouped Data / Model / Training."""

from __future__ import annotations

from dataclasses import fields, replace

import streamlit as st

from .. import features as input_features
from ..datasets import DATASETS, UPLOAD
from ..experiment import drop_unknown_columns
from ..settings import GROUPS, Settings, with_dataset
from . import state

UPLOADER_KEY = "csv_file"


def _on_dataset_change() -> None:
    """Switching dataset applies what suits it (output activation, scaling, number of points)."""
    state.apply_settings(with_dataset(state.settings(), st.session_state[state.widget_key("dataset")]))


def _new_data() -> None:
    current = state.settings()
    state.apply_settings(replace(current, seed=(current.seed + 1) % 1_000_000))


def _visible(name: str, values: dict, n_features: int) -> bool:
    """Whether the control for `name` matters given the values chosen above it."""
    spec = DATASETS[values.get("dataset", "line")]
    return {
        "digit_target": values.get("dataset") == "digits",
        "target": values.get("dataset") == UPLOAD and n_features > 0,
        "features": n_features > 1 and not spec.raw_inputs,  # low-dim data: the input features instead
        "inputs": spec.raw_inputs > 0,
        "n_points": spec.generated,
        "noise": spec.generated,
        "show_validation": values.get("validation_split", 0) > 0,
        "hidden_units": values.get("hidden_layers", 0) > 0,
        "hidden_activation": values.get("hidden_layers", 0) > 0,
        "regularization_rate": values.get("regularization", "none") != "none",
    }.get(name, True)


def _widget(f, key: str, container, n_train: int, feature_names: list[str], targets: list[str]):
    """Draw the widget for schema field `f` and return its value in the field's type."""
    meta = f.metadata
    label, help_text, kind = meta["label"], meta["help"], meta["kind"]
    if kind == "choice":
        options = meta["options"]
        on_change = _on_dataset_change if f.name == "dataset" else None
        return container.selectbox(label, list(options), format_func=options.get, key=key, help=help_text,
                                   on_change=on_change)
    if kind == "bool":
        return container.toggle(label, key=key, help=help_text)
    if kind == "log":
        return container.select_slider(label, options=meta["values"], format_func=lambda v: f"{v:g}", key=key,
                                       help=help_text)
    if kind == "features":
        chosen = container.multiselect(label, feature_names, key=key + "_list", help=help_text,
                                       placeholder="all features")
        return ",".join(chosen)
    if kind == "inputs":
        options = list(input_features.usable(meta["options"], len(feature_names)))
        raw = "x1 and x2" if len(feature_names) > 1 else "x"
        chosen = container.multiselect(label, options, key=key + "_list", help=help_text, placeholder=f"{raw} alone",
                                       format_func=lambda k: input_features.names(feature_names, (k,))[0])
        return ",".join(chosen)
    if kind == "column":
        return container.selectbox(label, ["", *targets], key=key, help=help_text,
                                   format_func=lambda name: name or "(the last column)")
    if f.name == "seed":
        return container.number_input(label, meta["min"], meta["max"], step=1, key=key, help=help_text)
    hi = n_train if f.name == "batch_size" and n_train is not None else meta["max"]
    if hi <= meta["min"]:  # one training row: a batch of it is all there is (a slider needs two ends)
        return st.session_state[key]
    return container.slider(label, meta["min"], hi, step=meta["step"], key=key, help=help_text)


def _prepare_widget_state(f, key: str, value, n_train: int | None, feature_names) -> None:
    """Seed the widget's state from the canonical settings (first render, or after a preset/URL)."""
    if f.metadata["kind"] == "column":
        if st.session_state.get(key) not in ("", *feature_names):
            st.session_state[key] = ""
        return
    if f.metadata["kind"] in ("features", "inputs"):  # a multiselect holding a list; the setting joins it
        if f.metadata["kind"] == "features":
            names = [n for n in value.split(",") if n in feature_names]
        else:  # the input features shown as chosen: the raw inputs when the setting is empty
            names = list(input_features.usable(value.split(",") if value else input_features.RAW,
                                               len(feature_names)))
        if key + "_list" not in st.session_state or st.session_state.pop(key, None) is not None:
            st.session_state[key + "_list"] = names
        return
    if f.name == "batch_size":  # its slider's range follows the data: a new range would reset it to 1
        st.session_state[key] = min(st.session_state.get(key, value), n_train or f.metadata["max"])
    elif key not in st.session_state:
        st.session_state[key] = value


def _batch_caption(batch_size: int, n_train: int) -> str:
    if n_train == 1:
        return "**Full batch**: the one training point, 1 update per epoch."
    if batch_size >= n_train:
        return f"**Full batch**: all {n_train} training points per update, 1 update per epoch."
    if batch_size == 1:
        return f"**Stochastic**: one point per update, {n_train} updates per epoch."
    return f"**Mini-batch**: {batch_size} points per update, {-(-n_train // batch_size)} updates per epoch."


def render(hidden_controls: frozenset[str] = frozenset()) -> Settings:
    """Draw every visible control and return the settings they now say."""
    current = state.settings()
    bar = st.sidebar
    values: dict = {}
    n_train = state.training_rows(current)  # None: no usable data yet, the batch size keeps its value
    targets, feature_names = [], []
    if n_train is not None:
        targets, feature_names = state.cached_columns(current, state.upload_bytes())[1:]
        # a link or a run file may name columns this data does not have: they leave the state and the link
        current, dropped = drop_unknown_columns(current, targets, feature_names)
        state.add_notices(dropped)
    for group in GROUPS:
        bar.subheader(group)
        for f in fields(Settings):
            if f.metadata["group"] != group:
                continue
            value = getattr(current, f.name)
            if f.name in hidden_controls or not _visible(f.name, values, len(feature_names)):
                values[f.name] = value
                continue
            key = state.widget_key(f.name)
            _prepare_widget_state(f, key, value, n_train, targets if f.name == "target" else feature_names)
            values[f.name] = _widget(f, key, bar, n_train, feature_names, targets)
            if f.name == "batch_size" and n_train is not None and values[f.name] == n_train and value > n_train:
                values[f.name] = value  # "full batch" stays full batch when the data grows again
            if f.name == "dataset" and values[f.name] == UPLOAD:
                _upload_widget(bar)
            if f.name == "dataset" and DATASETS[values[f.name]].single_neuron:
                bar.caption(DATASETS[values[f.name]].single_neuron)
            if f.name == "seed" and "seed" not in hidden_controls:
                bar.button("New data", icon=":material/casino:", on_click=_new_data,
                           help="Draw new random data and starting weights.")
            if f.name == "batch_size" and n_train is not None:
                bar.caption(_batch_caption(values[f.name], n_train))
    new, notices = Settings.from_mapping(values, base=current)
    st.session_state["settings"] = new
    state.add_notices(notices)
    return new


def _keep_upload() -> None:
    """Store a newly uploaded file's bytes before the page reruns, so the whole sidebar (row count, target and
    feature pickers, batch size range) reflects the file on that very run; removing the file keeps the last."""
    file = st.session_state.get(UPLOADER_KEY)
    if file is not None:
        st.session_state[state.UPLOAD_KEY] = file.getvalue()


def _upload_widget(bar) -> None:
    """The CSV uploader; its bytes are kept in the session so reruns and other tabs can use them."""
    bar.file_uploader("CSV file", type=["csv", "txt", "tsv"], key=UPLOADER_KEY, on_change=_keep_upload,
                      help="A table with a header row. You choose the target and features after loading.")
