"""Colours that must be told apart stay apart for the colour blind: each palette of the page is simulated under
deuteranopia, protanopia and tritanopia with Machado, Oliveira and Fernandes' matrices (2009, severity 1: the full
dichromacy; colorspacious's implementation) and every pair of its colours is compared by their perceptual distance
(ΔE in CAM02-UCS, where 1 is about a just-noticeable difference).

The bound is the distance the page's class colours keep: ColorBrewer's BrBG ends, chosen as colour-blind safe, are
20.8 apart under protanopia, their closest. Every palette is held to 20 under normal vision and each simulation. The
palettes before issue 20 fail it: the race's RMSProp green and Adam pink 14.8 apart under deuteranopia (its SGD blue
and RMSProp green 11.7 under tritanopia), the neuron's red and the exact answer's green 5.2.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from colorspacious import cspace_convert, deltaE

from playground.charts.diagram import NEGATIVE, POSITIVE
from playground.charts.race import RACE_COLORS
from playground.charts.style import CLASS_COLORS, EXACT, NEURON, TRAIN, VALIDATION

VISION = {"normal": None, "deuteranopia": "deuteranomaly", "protanopia": "protanomaly", "tritanopia": "tritanomaly"}
APART = 20.0  # ΔE (CAM02-UCS): the class colours' own closest distance, rounded down
PALETTES = {
    "optimizers (the race and the class board)": tuple(RACE_COLORS.values()),
    "neuron against exact (weight bars, fit lines)": (NEURON, EXACT),
    "classes 0 and 1": CLASS_COLORS,
    "train and validation": (TRAIN, VALIDATION),
    "positive and negative weights (Network)": (POSITIVE, NEGATIVE),
}


def rgb(color: str) -> np.ndarray:
    """'#rrggbb' as sRGB in [0, 1] (3,)."""
    return np.array([int(color[i:i + 2], 16) for i in (1, 3, 5)]) / 255.0


def seen(color: str, vision: str) -> np.ndarray:
    """The sRGB colour (3,) a person with `vision` sees for `color` (Machado et al. 2009, severity 1)."""
    kind = VISION[vision]
    if kind is None:
        return rgb(color)
    simulated = cspace_convert(rgb(color), {"name": "sRGB1+CVD", "cvd_type": kind, "severity": 100}, "sRGB1")
    return np.clip(simulated, 0.0, 1.0)


def closest_pair(palette, vision: str) -> tuple[float, str, str]:
    """(distance, colour, colour) of the palette's two closest colours as seen with `vision`."""
    return min((float(deltaE(seen(a, vision), seen(b, vision), input_space="sRGB1")), a, b)
               for a, b in itertools.combinations(palette, 2))


def test_the_bound_is_what_the_colour_blind_safe_class_colours_keep():
    assert min(closest_pair(CLASS_COLORS, vision)[0] for vision in VISION) == pytest.approx(20.8, abs=0.1)


def test_the_simulation_turns_red_and_green_alike_for_deuteranopes_and_keeps_them_apart_otherwise():
    """The simulation itself: the textbook red/green confusion, and none for blue against yellow."""
    assert closest_pair(("#d62728", "#2ca02c"), "deuteranopia")[0] < 8 < 50 < closest_pair(("#d62728", "#2ca02c"),
                                                                                           "normal")[0]
    assert closest_pair(("#0072b2", "#e69f00"), "deuteranopia")[0] > 40


@pytest.mark.parametrize("vision", VISION)
@pytest.mark.parametrize("name", PALETTES)
def test_every_palette_stays_apart_under_each_colour_blindness(name, vision):
    distance, a, b = closest_pair(PALETTES[name], vision)
    assert distance >= APART, f"{name}: {a} and {b} are {distance:.1f} apart under {vision}"
