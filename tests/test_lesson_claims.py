"""Every number a lesson states holds on any machine: checked against the runs it describes, measured again under
changes that leave the mathematics alone.

The measurements (tests/lesson_measurements.py) are made once per variant, each in its own process: the BLAS
kernel OpenBLAS picks here, the kernels this kind of CPU can also run (OPENBLAS_CORETYPE: Haswell with fused
multiply-add, Sandybridge, Nehalem and Prescott without), and the starting weights nudged one unit in the last
place either way. A claim is checked in every variant, so a number that only one machine's last bits produce
fails here, whichever machine runs the tests.
"""

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from playground.datasets import DATASETS
from playground.lessons import LESSONS
from playground.settings import Settings
from tests.lesson_measurements import NUDGE_ENV, SEEDS_DIGITS, SEEDS_NONLINEAR
from tests.test_claims import lesson_text, numbers

ROOT = Path(__file__).resolve().parents[1]
# (OpenBLAS kernel, ulps): "" is the kernel OpenBLAS picks for this CPU.
VARIANTS = [("", 0), ("", 1), ("", -1), ("Haswell", 0), ("Sandybridge", 0), ("Nehalem", 0), ("Prescott", 0)]
IDS = [f"{kernel or 'own kernel'}{f', {ulps:+d} ulp' if ulps else ''}" for kernel, ulps in VARIANTS]


def measure(kernel: str, ulps: int) -> dict:
    """The lessons' measurements in a fresh process with this BLAS kernel and nudge (one BLAS thread each, as the
    variants run side by side)."""
    env = {**os.environ, NUDGE_ENV: str(ulps), "OPENBLAS_NUM_THREADS": "1", "OPENBLAS_CORETYPE": kernel}
    done = subprocess.run([sys.executable, "-m", "tests.lesson_measurements"], cwd=ROOT, env=env, check=True,
                          capture_output=True, text=True, timeout=600)
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def measured() -> dict:
    """Every variant's measurements, keyed like VARIANTS (made two at a time: this machine has two cores)."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(VARIANTS, pool.map(lambda variant: measure(*variant), VARIANTS)))


variant = pytest.mark.parametrize("variant", VARIANTS, ids=IDS)


@variant
def test_line_lesson_sgd_explodes_at_1_5_and_adam_does_not_at_10(measured, variant):
    text = lesson_text("line")
    m = measured[variant]["line"]
    assert "try 0.6, then 1.5: at 1.5 the loss explodes" in text and "Adam at 10 not" in text
    assert m["diverged"] == {"sgd 0.6": False, "sgd 1.5": True, "adam 10": False}
    assert "after 30 epochs, how far is the neuron from the exact answer, and after 500" in text
    assert m["slope_gap"]["500"] < m["slope_gap"]["30"] / 2  # 500 epochs end much closer


@variant
def test_gradient_descent_lesson_numbers_are_the_notebooks_data(measured, variant):
    text = lesson_text("gradient-descent")
    m = measured[variant]["gradient-descent"]
    assert "for 99 epochs" in text and m["epochs"] == 99 and m["steps_per_epoch"] == 5
    assert "600 standardized training points in 5 mini-batches of 120" in text and m["n_train"] == 600
    assert "follow y = 9x" in text and round(m["raw_slope"]) == 9  # N(x, 200) noise: mean x on top of 8x
    assert "(about 29)" in text and round(m["x_scale"]) == 29
    assert "≈ 260" in text and abs(m["standardized_slope"] - 260) < 0.03 * 260
    assert "almost straight line" in text and m["path_off_line"] < 0.05
    assert "makes the loss explode" in text and m["unscaled_diverged"]


def digit_gain(m: dict, kind: str) -> np.ndarray:
    """(seeds,) held-out accuracy points the hidden layer of 4 adds over one neuron, per seed."""
    return 100 * (np.array(m[f"{kind} 1"]) - np.array(m[f"{kind} 0"]))


@variant
def test_digits_lesson_spreads_are_measured_over_twenty_seeds(measured, variant):
    m = measured[variant]["digits"]
    one = np.array(m["standardized 0"])
    assert len(one) == len(SEEDS_DIGITS) == 20
    assert numbers(lesson_text("digits", 0).split("over 20 seeds")[1])[:3] == [
        round(np.median(one), 3), round(one.min(), 3), round(one.max(), 3)]
    gain_text = lesson_text("digits", 1).split("Over 20 seeds")[1]
    points = digit_gain(m, "standardized")
    assert numbers(gain_text)[:4] == [4, round(np.median(points), 1), round(points.min(), 1), round(points.max(), 1)]
    assert "better on every one of the 20" in gain_text and (points > 0).all()
    assert "260 + 5 = 265 parameters" in lesson_text("digits", 1) and m["parameters 1"] == 265


@variant
def test_digits_on_raw_pixels_is_what_the_lesson_says(measured, variant):
    text = lesson_text("digits", 1).split("Standardize features")[1]
    m = measured[variant]["digits"]
    assert "most hidden sigmoids start saturated" in text
    assert np.median(m["raw saturated at the start"]) > 0.5 > 0.05 > np.median(m["standardized saturated at the start"])
    assert "adds only about 2 points and loses to one neuron on some of them" in text
    raw = digit_gain(m, "raw")
    assert round(np.median(raw)) == 2 and np.median(raw) < np.median(digit_gain(m, "standardized"))
    assert raw.min() < 0


def test_raw_pixels_are_chaotic_and_standardized_ones_are_not(measured):
    """The lesson's reason to standardize: on raw pixels the seeds where the hidden layer loses depend on the last
    bit of the starting weights; standardized, no result moves in any variant."""
    text = lesson_text("digits", 1)
    assert "can change when the starting weights move by one unit of their last binary digit" in text
    losing = {variant: tuple(np.flatnonzero(digit_gain(m["digits"], "raw") <= 0)) for variant, m in measured.items()}
    assert losing[("", 1)] != losing[("", 0)] or losing[("", -1)] != losing[("", 0)]
    for kind in ("standardized 0", "standardized 1"):
        assert len({tuple(m["digits"][kind]) for m in measured.values()}) == 1, kind


@variant
def test_set_weights_lesson_claims(measured, variant):
    text = lesson_text("set-weights")
    m = measured[variant]["set-weights"]
    assert "Adam with learning rate 10, finds the same line" in text and "w = 200, b = 100" in text
    assert m["w"] == pytest.approx(200, abs=0.5) and m["b"] == pytest.approx(100, abs=0.5)
    logistic = LESSONS["set-weights"].parts[1].look_at
    assert "at x = 0 that gives 0.01" in logistic and round(1 / (1 + np.exp(4.5)), 2) == 0.01


def test_every_lesson_preset_is_valid_and_its_view_exists():
    for lesson in LESSONS.values():
        for part in lesson.parts:
            settings, notices = Settings.from_mapping(part.preset)
            assert not notices, (lesson.id, part.title, notices)
            assert settings.dataset in DATASETS


# --- the nonlinear lesson: each part's claims, over 10 seeds ---------------------------------------------------


@variant
def test_one_neuron_on_raw_x1_x2_stays_at_most_075(measured, variant):
    assert "at most 0.75 on every one of 10 seeds" in lesson_text("nonlinear", 0)
    m = measured[variant]["nonlinear"]
    for dataset in ("circles", "xor"):
        assert len(m[f"0 {dataset}"]) == len(SEEDS_NONLINEAR) == 10 and max(m[f"0 {dataset}"]) <= 0.75, dataset


@variant
def test_x1_and_x2_squared_let_one_neuron_separate_the_circles(measured, variant):
    assert "at least 0.95 held-out accuracy on every one of 10 seeds" in lesson_text("nonlinear", 1)
    m = measured[variant]["nonlinear"]
    assert m["sizes 1"] == [4, 1]  # still one neuron, fed x1, x2, x1², x2²
    assert min(m["1 circles"]) >= 0.95


@variant
def test_a_hidden_layer_of_4_reaches_095_on_xor_and_the_circles(measured, variant):
    assert "At least 0.95 held-out accuracy on every one of 10 seeds, on XOR and on the circles" in \
        lesson_text("nonlinear", 2)
    m = measured[variant]["nonlinear"]
    assert m["sizes 2"] == [2, 4, 1]
    assert min(m["2 xor"]) >= 0.95 and min(m["2 circles"]) >= 0.95


@variant
def test_the_big_network_overfits_and_l2_tames_it(measured, variant):
    overfit, tamed = lesson_text("nonlinear", 3), lesson_text("nonlinear", 4)
    m = measured[variant]["nonlinear"]
    shown = m["3 shown"]
    assert shown["parameters"] == 177 and "177 parameters" in overfit
    assert "20 to train on" in overfit and shown["n_train"] == 20
    assert np.median(m["3 train"]) == 1.0 and "train accuracy 1.0 in the median of 10 seeds" in overfit
    final = np.array([losses[-1] for losses in m["3 val_loss"]])
    rise = np.median(final / np.array([min(losses) for losses in m["3 val_loss"]]))
    assert numbers(overfit.split("median ends at ")[1])[:2] == [round(float(np.median(final)), 2), round(rise, 1)]
    tamed_final = np.median([losses[-1] for losses in m["4 val_loss"]])
    said = numbers(tamed.split("drops from ")[1])[:4]  # 1.40, 0.42, 0.775, 0.825
    assert said == [round(float(np.median(final)), 2), round(float(tamed_final), 2),
                    round(float(np.median(m["3 held_out"])), 3), round(float(np.median(m["4 held_out"])), 3)]
    assert all(penalty == ["l2", 0.003] for penalty in m["4 penalty"])
    val = np.array(shown["val_loss"])
    assert "With this seed (4) it is lowest around epoch 70 and ends more than 4 times higher" in overfit
    assert shown["seed"] == 4 and abs(int(np.argmin(val)) - 70) <= 10 and val[-1] > 4 * val.min()
