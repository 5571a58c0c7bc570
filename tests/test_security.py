"""Nothing a link, a run file or a CSV file carries runs as code, renders as markup or opens as a formula.

Text from outside (URL values, run-file fields, CSV column names) reaches: the exported Python script
(only inside its one data literal), the CSV downloads (formula-like cells neutralised), the HTML export
(escaped for Plotly, then JSON-escaped; no script but plotly.js and the figure), the JSON run file, and
the page (Markdown escaped, chart text escaped). Property tests throw arbitrary text at each of them.
"""

from __future__ import annotations

import ast
import csv
import html
import io
import json
import os
import re
import subprocess
import sys
from dataclasses import asdict, replace
from html.parser import HTMLParser

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from playground import export
from playground.charts.fit import fit_panel
from playground.charts.landscape import compute_slice, default_slice_parameters, landscape_panel
from playground.charts.panels import compose
from playground.charts.style import frame_indices
from playground.data import MAX_FEATURES, DataError, load_csv
from playground.datasets import UPLOAD
from playground.experiment import run_experiment
from playground.safe_text import (
    MAX_NAME_CHARS,
    WORD_JOINER,
    clean_name,
    markdown_literal,
    one_line,
    plotly_literal,
    spreadsheet_cell,
)
from playground.settings import Settings
from tests.page import assert_clean, figure, notices, shown

# ------------------------------------------------------------------------------------------ Texts

NASTY = ['"""', "'''", '"', "'", "\\", "\\'", "\n", "\r", "\r\n", "\x0c", "\t", "\x0b", "\x00", "\u2028",
         "\u2029", "\x85", "\u202e", "\u200b", "\ufeff", "\xa0", "#", "$x$", "%{x}", "{}", "${IFS}", "=", "+",
         "-", "@", "<", ">", "&", "&lt;", "<a href='javascript:alert(1)'>x</a>", "<img src=x onerror=alert(1)>",
         "</script>", "[x](https://evil.example)", "http://evil.example", "www.evil.example", "a@b.co",
         ":red[x]", ":material/home:", "**", "`", "__import__('os').system('true')", "),(", "]", "é", "😀",
         "x" * 300]
TEXT = st.lists(st.sampled_from(NASTY) | st.text(max_size=12), max_size=6).map("".join)
# Text a CSV file can hold: the loader refuses files with control characters (binary data) outright.
CSV_CHARACTERS = st.characters(exclude_categories=("Cs",), exclude_characters="".join(
    map(chr, [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0)])))
CSV_TEXT = st.lists(st.sampled_from([n for n in NASTY if not re.search(r"[\x00\x0b\x0c\x85]", n)])
                    | st.text(CSV_CHARACTERS, max_size=12), min_size=1, max_size=5).map("".join)

FAST = {"epochs": 3, "batch_size": 4}
HYPOTHESIS = {"deadline": None, "derandomize": True,
              "suppress_health_check": [HealthCheck.too_slow, HealthCheck.function_scoped_fixture]}


def _csv(header: list[str], rows: int = 12) -> bytes:
    """A CSV with these header cells (quoted as the csv module does) and varying numeric columns."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([[round((i * (3 + j)) % 7 + 0.5 * j, 2) for j in range(len(header))] for i in range(rows)])
    return out.getvalue().encode("utf-8")


PLAIN_CSV = _csv(["a", "b", "c"])


# ------------------------------------------------------------------------------------- The script

TAIL = ast.parse(export._SCRIPT_TAIL).body  # the `if __name__ == "__main__": main(RUN)` after the data


def assert_script_holds_text_only_as_data(code: str, exp) -> None:
    """The script is the linted module, one `RUN = <literal>` equal to the run's values, and the fixed tail."""
    fixed = export.script_code() + export._SCRIPT_HEAD
    assert code.startswith(fixed) and code.endswith(export._SCRIPT_TAIL)
    literal = code[len(fixed) : len(code) - len(export._SCRIPT_TAIL)]
    tree = ast.parse(code)  # parses at all
    expected = [*ast.parse(export.script_code()).body, None, *TAIL]
    assert len(tree.body) == len(expected)
    for statement, want in zip(tree.body, expected):
        if want is None:  # the data: one assignment of a literal to RUN
            assert isinstance(statement, ast.Assign) and [t.id for t in statement.targets] == ["RUN"]
            assert ast.literal_eval(statement.value) == export.script_run(exp)
        else:
            assert ast.dump(statement) == ast.dump(want)
    assert ast.literal_eval(literal) == export.script_run(exp)  # nothing but the literal between the fixed parts


def run_script(code: str, directory) -> dict:
    """Run the script in an empty directory without access to the playground; it must create no file."""
    directory.mkdir()
    path = directory / "run.py"
    path.write_text(code, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run([sys.executable, str(path)], cwd=directory, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in directory.iterdir()) == ["run.py"]  # no file created
    return json.loads(done.stdout.strip().splitlines()[-1])


def assert_reproduces(result: dict, exp) -> None:
    np.testing.assert_allclose(result["params"], exp.history.params[-1], rtol=0, atol=1e-9)
    assert result["diverged_at"] == exp.history.diverged_at


def test_the_reported_link_no_longer_makes_the_script_run_a_command(tmp_path):
    """The issue's reproduction: `?target=` with a docstring break-out, for a built-in dataset (where the
    target is now dropped) and for an uploaded CSV (where it is kept, as data)."""
    canary = tmp_path / "PWNED"
    payload = f'"""+str(__import__("os").system("touch${{IFS}}{canary}"))+"""'
    s, notices = Settings.from_query({"target": payload})
    assert s.target == "" and any("applies only to an uploaded CSV" in n for n in notices)
    exp = run_experiment(s)
    code = export.python_script(exp)
    assert payload not in code and "__import__" not in code
    assert_reproduces(run_script(code, tmp_path / "built-in"), exp)

    s, _ = Settings.from_query({"target": payload, "dataset": UPLOAD})
    assert s.target == payload  # one printable line: a valid name, kept as the user's text
    exp = run_experiment(s, PLAIN_CSV)
    code = export.python_script(exp)
    assert_script_holds_text_only_as_data(code, exp)
    assert_reproduces(run_script(code, tmp_path / "upload"), exp)
    assert not canary.exists()


@settings(max_examples=40, **HYPOTHESIS)
@given(target=TEXT, features=TEXT, dataset=st.sampled_from(["line", "blobs", UPLOAD]))
def test_url_text_reaches_the_script_only_as_data(target, features, dataset):
    s, _ = Settings.from_query({"dataset": dataset, "target": target, "features": features,
                                **{k: str(v) for k, v in FAST.items()}})
    exp = run_experiment(s, PLAIN_CSV if dataset == UPLOAD else None)
    assert_script_holds_text_only_as_data(export.python_script(exp), exp)


@settings(max_examples=6, **HYPOTHESIS)
@given(target=TEXT, features=TEXT)
def test_a_script_from_url_text_runs_creates_no_file_and_reproduces(tmp_path_factory, target, features):
    s, _ = Settings.from_query({"dataset": UPLOAD, "target": target, "features": features, "epochs": "3"})
    exp = run_experiment(s, PLAIN_CSV)
    assert_reproduces(run_script(export.python_script(exp), tmp_path_factory.mktemp("url") / "run"), exp)


@settings(max_examples=6, **HYPOTHESIS)
@given(target=TEXT, features=TEXT, unknown=TEXT, name=TEXT)
def test_a_script_from_a_run_file_runs_creates_no_file_and_reproduces(tmp_path_factory, target, features,
                                                                       unknown, name):
    record = json.loads(export.run_json(run_experiment(replace(Settings(), dataset=UPLOAD, **FAST), PLAIN_CSV)))
    record["settings"].update(target=target, features=features)
    record["settings"][unknown] = name
    record["data"]["name"] = name
    loaded = export.parse_run_file(json.dumps(record).encode())
    exp = run_experiment(loaded.settings, PLAIN_CSV)
    code = export.python_script(exp)
    assert_script_holds_text_only_as_data(code, exp)
    assert_reproduces(run_script(code, tmp_path_factory.mktemp("file") / "run"), exp)


def load_hostile_csv(names: list[str]):
    """The CSV with these header cells as the loader reads it, or None when it refuses it (with a message)."""
    try:
        return load_csv(io.BytesIO(_csv(names)))
    except DataError as error:  # e.g. two names equal once cleaned: refused in words, nothing exported
        assert str(error)
        return None


def csv_run(names: list[str]):
    """A run on a CSV whose header cells are `names`, its first column the feature and last the target."""
    data = load_hostile_csv(names)
    if data is None:
        assume(False)  # refused in words: nothing to export (assume only when it matters: a plain test calls this too)
    columns = [str(c) for c in data.table.columns]
    for column in columns:  # the loader's names follow the policy
        assert clean_name(column) == (column, []) and len(column) <= MAX_NAME_CHARS
    if "," in columns[0]:
        assume(False)  # the features setting is comma-separated: such a name cannot be picked
    s, _ = Settings.from_mapping({"dataset": UPLOAD, "target": columns[-1], "features": columns[0], **FAST})
    assert (s.target, s.features) == (columns[-1], columns[0])  # a CSV's names pass the settings' policy unchanged
    exp = run_experiment(s, _csv(names))
    assert exp.dataset.feature_names == (columns[0],) and exp.dataset.target_name == columns[-1]
    return exp


@settings(max_examples=6, **HYPOTHESIS)
@given(names=st.lists(CSV_TEXT, min_size=2, max_size=3))
def test_a_script_from_csv_headers_runs_creates_no_file_and_reproduces(tmp_path_factory, names):
    exp = csv_run(names)
    code = export.python_script(exp)
    assert_script_holds_text_only_as_data(code, exp)
    assert_reproduces(run_script(code, tmp_path_factory.mktemp("csv") / "run"), exp)


# ------------------------------------------------------------------------------------- Settings


@settings(max_examples=150, **HYPOTHESIS)
@given(target=TEXT, features=TEXT)
def test_text_settings_are_one_printable_line_with_a_length_cap_and_a_notice(target, features):
    s, notices = Settings.from_query({"dataset": UPLOAD, "target": target, "features": features})
    names = s.features.split(",") if s.features else []
    for name in (s.target, *names):
        assert name == name.strip() and len(name) <= MAX_NAME_CHARS
        assert all(c.isprintable() for c in name)  # no line break, control, format or separator character
    assert len(names) <= MAX_FEATURES
    name, changes = clean_name(target.strip())
    assert s.target == name and bool(changes) == any(n.startswith("Target column:") for n in notices)
    again, more = Settings.from_query(s.to_query())  # the link the page writes back is stable and quiet
    assert again == s and more == []


@settings(max_examples=60, **HYPOTHESIS)
@given(target=TEXT, dataset=st.sampled_from(["line", "digits", "blobs"]))
def test_a_target_outside_an_uploaded_csv_leaves_the_settings_and_the_link(target, dataset):
    s, notices = Settings.from_query({"dataset": dataset, "target": target})
    assert s.target == "" and "target" not in s.to_query()
    assert bool(clean_name(target)[0]) == any("applies only to an uploaded CSV" in n for n in notices)


def test_settings_that_do_not_apply_leave_the_state_and_the_link(app):
    at = app(target="price", features="junk,s2", dataset="diabetes")
    assert_clean(at)
    assert at.session_state["settings"].target == "" and at.session_state["settings"].features == "s2"
    assert dict(at.query_params) == {"dataset": "diabetes", "features": "s2"}
    said = " ".join(notices(at))
    assert "'price' applies only to an uploaded CSV" in said and "ignored 'junk'" in said
    at = app(features="x1", inputs="x1,x2,x1sq,x2sq,bogus", dataset="line")  # one raw input: x, x², sin x
    assert_clean(at)
    assert at.session_state["settings"].features == "" and at.session_state["settings"].inputs == "x1,x1sq"
    assert dict(at.query_params) == {"inputs": "x1,x1sq"}
    said = " ".join(notices(at))
    assert "ignored 'x1'" in said and "ignored x₂, x₂²" in said and "ignored 'bogus'" in said


# ------------------------------------------------------------------------------------------ CSV


@settings(max_examples=200, **HYPOTHESIS)
@given(header=TEXT, cell=TEXT | st.sampled_from(["-1.5", "+3", "-1e5", "-.5", "-", "-1-1", "+1+1", "@", "=1"]),
       number=st.floats(allow_nan=False, allow_infinity=False))
def test_csv_downloads_neutralise_anything_a_spreadsheet_would_run(header, cell, number):
    import pandas as pd

    assume(header != "n")
    table = pd.DataFrame({header: [cell], "n": [number]})
    (got_header, _), (got_cell, got_number) = csv.reader(io.StringIO(export.csv_bytes(table).decode("utf-8")))
    for got, original in ((got_header, header), (got_cell, cell)):
        number_like = re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", original)
        if original.startswith(("=", "+", "-", "@", "\t", "\r")) and not number_like:
            assert got == "'" + original
        else:
            assert got == original
    assert float(got_number) == number  # numbers, negative ones included, stay numbers


def test_the_history_csv_headers_of_hostile_feature_names_are_neutralised():
    exp = csv_run(["=HYPERLINK(\"http://evil.example\")", "@SUM(A1)", "-2+3", "target"])
    header = export.csv_bytes(export.history_table(exp)).decode().split("\r\n")[0]
    assert header == 'step,epoch,batch,batch_loss,"w[=HYPERLINK(""http://evil.example"")]",b'
    assert spreadsheet_cell("=1+1") == "'=1+1" and spreadsheet_cell("-1.5e3") == "-1.5e3"


# ----------------------------------------------------------------------------------------- HTML


class _Tags(HTMLParser):
    """Every start tag with its attributes, the scripts' text and the title's text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.scripts, self.title, self._in = [], [], "", None

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))
        self._in = tag
        if tag == "script":
            self.scripts.append("")

    def handle_endtag(self, tag):
        self._in = None

    def handle_data(self, data):
        if self._in == "script":
            self.scripts[-1] += data
        elif self._in == "title":
            self.title += data


def _json_calls(script: str, function: str) -> list:
    """The JSON arguments of the first call of `function` in a script (plotly.io writes them as JSON)."""
    decoder, position, values = json.JSONDecoder(), script.index(function + "(") + len(function) + 1, []
    while True:
        while script[position] in " \t\r\n,":
            position += 1
        if script[position] == ")":
            return values
        if script[position] == "'":  # the div's id (a UUID), in single quotes for addFrames
            end = script.index("'", position + 1)
            value, position = script[position + 1 : end], end + 1
        else:
            value, position = decoder.raw_decode(script, position)
        values.append(value)


def html_export(exp, title: str) -> str:
    """The HTML export of the run's "Fit & landscape" figure, built by the same functions as the page's."""
    frames = frame_indices(len(exp.history.step))
    panels = [fit_panel(exp, frames), landscape_panel(compute_slice(exp, None, *default_slice_parameters(exp)),
                                                      frames)]
    labels = [f"epoch {exp.history.epoch[f]} · step {exp.history.step[f]}" for f in frames]
    return export.animation_html(compose(panels, labels, title=plotly_literal(title), height=500), title)


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


@settings(max_examples=8, **HYPOTHESIS)
@given(names=st.lists(CSV_TEXT, min_size=2, max_size=2), title=TEXT)
def test_the_html_export_shows_names_only_escaped_and_runs_only_plotly_and_the_figure(names, title):
    exp = csv_run(names)
    page = html_export(exp, title)
    parsed = _Tags()
    parsed.feed(page)
    assert {tag for tag, _ in parsed.tags} <= {"html", "head", "title", "meta", "style", "body", "div", "script"}
    assert not [name for _, attrs in parsed.tags for name, _ in attrs if name.lower().startswith("on")]
    assert all(attrs == [] for tag, attrs in parsed.tags if tag == "script")  # inline only: nothing loaded
    config, library, figure_script = parsed.scripts
    assert config.strip() == "window.PlotlyConfig = {MathJaxConfig: 'local'};"
    from plotly.offline import get_plotlyjs

    assert library.strip() == get_plotlyjs().strip()
    assert parsed.title == title  # the page's title: text (html.escape), read back as it was
    _, data, layout, _ = _json_calls(figure_script, "Plotly.newPlot")
    _, frames = _json_calls(figure_script, "Plotly.addFrames")
    feature, target = exp.dataset.feature_names[0], exp.dataset.target_name
    assert layout["xaxis"]["title"]["text"] == plotly_literal(feature)
    assert layout["yaxis"]["title"]["text"] == plotly_literal(target)
    assert layout["xaxis2"]["title"]["text"] == plotly_literal("w")
    assert layout["title"]["text"] == plotly_literal(title)
    tags = {tag for text in _strings([data, layout, frames]) for tag in re.findall(r"<[^>]*>", text)}
    assert tags <= {"<br>", "<extra>", "</extra>"}  # the charts' own markup only: none from the user's text
    assert html.unescape(plotly_literal(feature)) == one_line(feature)  # what Plotly shows: the name itself


# --------------------------------------------------------------------------------- Run file (JSON)


@settings(max_examples=40, **HYPOTHESIS)
@given(target=TEXT, features=TEXT)
def test_the_run_file_round_trips_any_text_as_json_data(target, features):
    s, _ = Settings.from_query({"dataset": UPLOAD, "target": target, "features": features, "epochs": "2"})
    exp = run_experiment(s, PLAIN_CSV)
    text = export.run_json(exp, PLAIN_CSV)
    assert text.isascii()  # every non-ASCII character \u-escaped: nothing to confuse an editor or a terminal
    assert json.loads(text)["settings"] == asdict(exp.settings)
    assert export.parse_run_file(text.encode()).settings == exp.settings


def test_a_run_files_fingerprint_is_hex_or_nothing():
    record = json.loads(export.run_json(run_experiment(replace(Settings(), dataset=UPLOAD, **FAST), PLAIN_CSV),
                                        PLAIN_CSV))
    assert re.fullmatch(r"[0-9a-f]{12}", export.parse_run_file(json.dumps(record).encode()).csv_sha256)
    record["data"]["csv_sha256"] = "[click](https://evil.example)"
    assert export.parse_run_file(json.dumps(record).encode()).csv_sha256 is None


# ------------------------------------------------------------------------------------- The page


@settings(max_examples=300, **HYPOTHESIS)
@given(text=TEXT)
def test_markdown_and_plotly_escapes_show_the_text_as_it_is(text):
    line = one_line(text)
    md = markdown_literal(text)
    assert "\n" not in md and "\r" not in md
    assert re.fullmatch(r"(?:\\[!-/:-@\[-`{-~]|[^!-/:-@\[-`{-~])*", md.replace(WORD_JOINER, ""))  # all escaped
    assert shown(md) == line
    assert not re.search(r"(?i)://|www\.|(?<!\u2060)@", md.replace("\\", ""))  # no bare link GFM would make
    pl = plotly_literal(text)
    assert not re.search(r"[<>%$]", pl) and html.unescape(pl) == line
    assert not re.search(r"&(?!amp;|lt;|gt;|#37;|#36;)", pl)


def test_the_page_shows_hostile_csv_names_only_escaped(app):
    names = ["<b>x</b> %{y} $a$", "[t](https://evil.example) =1+1"]
    at = app(dataset=UPLOAD, standardize="false", target=names[1], features=f"{names[0]},**[zz](http://evil.example)**")
    at.session_state["upload_bytes"] = _csv(names, rows=30)
    at.run()
    assert_clean(at)
    fit = figure(at, "fit_landscape")
    assert fit["layout"]["xaxis"]["title"]["text"] == plotly_literal(names[0])
    assert fit["layout"]["yaxis"]["title"]["text"] == plotly_literal(names[1])
    assert set(names) <= set(at.sidebar.selectbox(key="w_target").options)  # option labels are plain text
    (notice,) = [line for line in notices(at) if "zz" in line]  # the page quotes the link's text, escaped
    assert "ignored '**[zz](http://evil.example)**'" in notice
    rendered = [m.value for m in [*at.markdown, *at.caption, *at.info, *at.warning]]
    assert not any(re.search(r"(?<!\\)(\]\(|\*\*\[|<b>|\$a)", text) for text in rendered)


def test_in_the_browser_hostile_text_shows_as_text_in_notices_chart_titles_and_hover():
    """The real page in chromium: a link's text in a notice and a CSV's column names in the charts (titles and
    the hover read-out) show as the characters they are: no link, image, LaTeX, tag or hover field forms."""
    from urllib.parse import quote

    from tests.browser import PAGE_CHART_SELECTOR, ROOT, browser, new_page, require_browser, serve, wait_idle

    require_browser()
    names = ['<a href="https://evil.example">x1</a> %{y}', "[t](https://evil.example) $a$ www.evil.example",
             "=cmd|' /C calc'!A0"]
    link = "[click](https://evil.example) <img src=x onerror=alert(1)> $x^2$ :red[r]"
    with serve(ROOT / "app.py") as url, browser() as b:
        page, errors = new_page(b, f"{url}/?dataset=upload&standardize=false&epochs={quote(link)}",
                                viewport=(1280, 1600))
        try:
            (notice,) = page.locator('[data-testid="stAlert"]').filter(has_text="Epochs:").all_inner_texts()
            assert f"Epochs: '{link[:40]}…' is not a number" in notice.replace(WORD_JOINER, "")
            page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
                files=[{"name": "hostile.csv", "mimeType": "text/csv", "buffer": _csv(names, rows=30)}])
            page.wait_for_selector(f"{PAGE_CHART_SELECTOR} .nsewdrag", timeout=60_000)
            wait_idle(page)
            titles = page.locator(".js-plotly-plot :is(.g-xtitle, .g-ytitle, .g-x2title, .g-y2title)")
            assert titles.all_text_contents() == [names[0], f"w[{names[0]}]", names[1], "b"]
            box = page.locator(f"{PAGE_CHART_SELECTOR} .nsewdrag").nth(1).bounding_box()
            page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)  # over the landscape
            page.wait_for_selector(".hoverlayer .hovertext", timeout=10_000)
            assert page.locator(".hoverlayer").text_content().startswith(f"w[{names[0]}]=")  # %{y} stays text
            for hostile in ('[data-testid="stMain"] a', '[data-testid="stAlert"] a', ".js-plotly-plot a",
                            '[data-testid="stMarkdownContainer"] img', '[data-testid="stAlert"] .katex'):
                assert page.locator(hostile).count() == 0, hostile
            assert errors == []
        finally:
            page.context.close()
