"""The Export tab: the run as CSV tables, a JSON run file (and loading one back), the animation as a
standalone HTML page, and a NumPy-only Python script that re-runs the training.

Large files are generated when their button is clicked (a callable as `data`), so opening the tab
stays cheap; a click does not rerun the page (`on_click="ignore"`).
"""

from __future__ import annotations

import streamlit as st

from .. import export
from ..charts.landscape import default_slice_parameters
from ..datasets import UPLOAD
from ..experiment import Experiment
from ..safe_text import markdown_literal, plotly_literal
from . import lessons, state, training_views

UPLOADER_KEY = "export_run_file"
LOADED_KEY = "export_loaded"  # {"name", "run": LoadedRun, "ran": Settings | None} after a run file is applied
ERROR_KEY = "export_error"  # (file_id, message) for a run file that could not be loaded


def render(exp: Experiment, reference) -> None:
    """Download buttons for the four exports, then the run-file loader."""
    st.markdown("Take this run with you: as tables, as a file that re-creates it here, as an animation "
                "that plays without the app, or as a Python script that trains it again with NumPy only.")
    stem = _file_stem(exp)
    left, right = st.columns(2, gap="large")
    with left:
        _tables(exp, stem)
        _animation(exp, reference, stem)
    with right:
        _run_file(exp, stem)
        _script(exp, stem)
    st.divider()
    _loader(exp)


def _file_stem(exp: Experiment) -> str:
    s = exp.settings
    return f"neuron_{s.dataset}_{s.optimizer}_lr{s.learning_rate:g}_seed{s.seed}".replace(".", "p")


def _size(n_bytes: int) -> str:
    return f"{n_bytes / 1e6:.1f} MB" if n_bytes >= 1e6 else f"{max(n_bytes / 1e3, 0.1):.1f} KB"


def _tables(exp: Experiment, stem: str) -> None:
    h = exp.history
    st.markdown("**History (CSV)**")
    columns = 4 + h.sizes[-2] + 1
    st.download_button(
        "⬇️ Every step (CSV)", data=lambda: export.csv_bytes(export.history_table(exp)),
        file_name=f"{stem}_steps.csv", mime="text/csv", on_click="ignore", key="export_steps_csv",
    )
    thinned = " (thinned evenly: the run had more updates than are recorded)" if len(h.step) <= h.step[-1] else ""
    st.caption(f"{len(h.step)} rows × {columns} columns{thinned}: step, epoch, batch, the batch's loss, then "
               "the output neuron's weights (one column per input) and bias after that step.")
    epochs = export.csv_bytes(export.epoch_table(exp))
    st.download_button("⬇️ Loss per epoch (CSV)", data=epochs, file_name=f"{stem}_epochs.csv", mime="text/csv",
                       on_click="ignore", key="export_epochs_csv")
    st.caption(f"{len(h.train_loss)} rows ({_size(len(epochs))}): the loss on all the training data before "
               "training (epoch 0) and after each epoch, and on the validation data.")


def _run_file(exp: Experiment, stem: str) -> None:
    st.markdown("**Settings and final weights (JSON)**")
    text = export.run_json(exp, state.upload_bytes())
    st.download_button("⬇️ Run file (JSON)", data=text, file_name=f"{stem}.json", mime="application/json",
                       on_click="ignore", key="export_json")
    st.caption(f"{_size(len(text.encode()))}. Every setting and every final parameter. Load it below (or send it "
               "to someone) to re-create exactly this run: the same settings always train the same way.")


def animation_title(exp: Experiment) -> str:
    """What the animation shows, as plain text (the HTML page's title; the figure's, escaped for Plotly)."""
    s = exp.settings
    return (f"Neuron Playground · {exp.dataset.name} · {s.optimizer}, learning rate {s.learning_rate:g}, "
            f"batch {s.batch_size}, {s.epochs} epochs, seed {s.seed}")


def animation_figure(exp: Experiment, reference) -> dict:
    """The "Fit & landscape" figure with a title, at the default landscape slice."""
    title = plotly_literal(animation_title(exp))
    return training_views.fit_and_landscape_figure(exp, reference, *default_slice_parameters(exp), title=title)[0]


def _animation(exp: Experiment, reference, stem: str) -> None:
    st.markdown("**Animation (HTML)**")
    figure, title = animation_figure(exp, reference), animation_title(exp)
    estimate = export.plotly_js_bytes() + len(export.figure_json(figure))
    st.download_button("⬇️ Fit & landscape (HTML)", data=lambda: export.animation_html(figure, title),
                       file_name=f"{stem}.html", mime="text/html", on_click="ignore", key="export_html")
    st.caption(f"About {_size(estimate)}: the “Fit & landscape” animation ({len(figure['frames'])} frames) as one "
               f"web page with ▶ Play. Plotly's library ({_size(export.plotly_js_bytes())}) is inside, so it "
               "opens in any browser, offline.")


def _script(exp: Experiment, stem: str) -> None:
    st.markdown("**Python script (NumPy only)**")
    st.download_button("⬇️ Training script (.py)", data=lambda: export.python_script(exp),
                       file_name=f"{stem}.py", mime="text/x-python", on_click="ignore", key="export_script")
    rows = len(exp.y_train) + len(exp.y_val)
    note = ("" if exp.history.diverged_at is None
            else " It stops where this run exploded, by the same rule.")
    st.caption(f"{export.SCRIPT_CODE_LINES} lines you can read: the neuron's maths (forward pass, loss, "
               f"backpropagation, {exp.settings.optimizer}) and the training loop, with the {rows} data rows "
               f"written in. `python {stem}.py` trains again and prints the same final weights as here.{note}")


def _on_run_file() -> None:
    """Validate the uploaded run file and apply its settings (a callback: it runs before the widgets)."""
    file = st.session_state.get(UPLOADER_KEY)
    st.session_state.pop(ERROR_KEY, None)
    if file is None:
        return
    try:
        loaded = export.parse_run_file(file.getvalue())
    except export.RunFileError as error:
        st.session_state[ERROR_KEY] = (file.file_id, f"Could not load **{markdown_literal(file.name)}**: "
                                                     f"{markdown_literal(error)}")
        st.session_state.pop(LOADED_KEY, None)
        return
    st.session_state[LOADED_KEY] = {"name": file.name, "run": loaded, "ran": None}
    lessons.close_lesson()  # the file's run, not the lesson's: its banner and its link would say otherwise
    state.apply_settings(loaded.settings)
    if loaded.settings.dataset == UPLOAD and state.upload_bytes() is None:
        state.add_notices(["This run was trained on an uploaded CSV, which is not loaded now: upload the same "
                           "file in the sidebar to re-create it."])


def _loader(exp: Experiment) -> None:
    st.markdown("**Load a run**")
    file = st.file_uploader("Load a run (JSON)", type=["json"], key=UPLOADER_KEY, on_change=_on_run_file,
                            help="A run file saved by “Settings and final weights” above.")
    error = st.session_state.get(ERROR_KEY)
    if error is not None and file is not None and error[0] == file.file_id:
        st.error(error[1], icon=":material/description:")
    _loaded_run_report(exp)


def _loaded_run_report(exp: Experiment) -> None:
    """After a run file was applied: its notices and whether the re-created run ends where the file says."""
    loaded = st.session_state.get(LOADED_KEY)
    if loaded is None:
        return
    if loaded["ran"] is None:
        loaded["ran"] = exp.settings
    elif loaded["ran"] != exp.settings:  # a control moved since: this is another run now
        del st.session_state[LOADED_KEY]
        return
    run: export.LoadedRun = loaded["run"]
    st.success(f"Loaded **{markdown_literal(loaded['name'])}**: its settings are applied and the run re-created.",
               icon=":material/folder_open:")
    if run.notices:
        st.info("  \n".join(markdown_literal(notice) for notice in run.notices), icon=":material/info:")
    if run.params is None:
        st.info("The file has no final weights to compare with.")
        return
    equal, sentence = export.compare_final(run.params, exp.history.params[-1])
    if equal:
        st.success(sentence, icon=":material/check_circle:")
        return
    st.warning(f"{sentence} {_why_different(exp, run)}", icon=":material/warning:")  # no file text: hex checked


def _why_different(exp: Experiment, run: export.LoadedRun) -> str:
    now = export.csv_fingerprint(state.upload_bytes())
    if exp.settings.dataset == UPLOAD and run.csv_sha256 and now != run.csv_sha256:
        return (f"The run was trained on an uploaded CSV (fingerprint {run.csv_sha256}) and the CSV loaded now is "
                f"another one ({now}): upload the original file to re-create it.")
    if run.edited:
        return ("The file's settings were changed after it was saved (they no longer match the fingerprint saved "
                "with them), so its final weights come from other settings than the ones applied now.")
    if run.adjusted:
        return "Some of the file's settings could not be used as they are (see above), so this is another run."
    if exp.settings.dataset == UPLOAD:
        return "The run was trained on an uploaded CSV: is the same file loaded in the sidebar?"
    if run.edited is None:
        return ("The file carries no fingerprint of its settings, so it cannot tell whether they were changed after "
                "saving; if they were not, the data or the engine differ from when it was saved (another version "
                "of the playground, NumPy or scikit-learn).")
    return ("The settings are exactly the ones saved, so the data or the engine must differ from when it was saved "
            "(another version of the playground, NumPy or scikit-learn).")

