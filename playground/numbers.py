"""How the page writes numbers: in LaTeX formulas and in plain sentences, the same way everywhere."""

from __future__ import annotations

import math

SUPERSCRIPTS = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def latex_number(value: float) -> str:
    """A number in LaTeX: 4 significant digits, powers of ten spelled out (1.2\\times 10^{-5})."""
    value = float(value)
    if math.isnan(value):
        return r"\text{NaN}"
    if math.isinf(value):
        return r"\infty" if value > 0 else r"-\infty"
    if value == 0:
        return "0"
    text = f"{value:.4g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        power = f"10^{{{int(exponent)}}}"
        if mantissa in ("1", "-1"):
            return mantissa.replace("1", power)
        return rf"{mantissa}\times {power}"
    return text


def latex_factor(value: float) -> str:
    """`latex_number`, in parentheses when it would not read as one factor or term (negative, or a power of ten)."""
    text = latex_number(value)
    return f"({text})" if text.startswith("-") or r"\times" in text else text


def readable(value: float, digits: int = 4) -> str:
    """A number in a sentence or a metric: 0.1434, 39,012, −1,490,670, 3.2 × 10⁻⁵ (no "e+04")."""
    value = float(value)
    if not math.isfinite(value):
        return str(value)
    magnitude = abs(value)
    if magnitude >= 1e9 or (0 < magnitude < 1e-3):
        mantissa, exponent = f"{value:.{digits - 1}e}".split("e")
        mantissa = mantissa.rstrip("0").rstrip(".")
        return f"{mantissa} × 10{str(int(exponent)).translate(SUPERSCRIPTS)}".replace("-", "−", 1)
    if magnitude >= 1000:
        return f"{value:,.0f}".replace("-", "−")
    return f"{value:.{digits}g}".replace("-", "−")


def fixed(value: float, decimals: int = 3) -> str:
    """A number with a fixed count of decimals and a true minus sign: 1.290, −8.680; one that rounds to zero is
    0.000, never −0.000 (a lasso's zero weight, a tiny negative R²)."""
    text = f"{float(value):.{decimals}f}"
    return text.lstrip("-") if float(text) == 0 else text.replace("-", "−")
