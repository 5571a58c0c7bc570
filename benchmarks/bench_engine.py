"""Benchmark the NumPy neuron engine and the loss landscape against simple baselines.

Run from the repository root:

    python benchmarks/bench_engine.py                  # everything
    python benchmarks/bench_engine.py digits landscape # only some parts: seed000, large, digits, landscape

1. Training: `playground.engine.train` vs a bare matrix-form NumPy loop doing the same maths and the
   same bookkeeping, vs an idiomatic PyTorch CPU loop (skipped if torch is not installed), on
   (a) seed 000's workload (n=100, one feature, linear + MSE, Adam lr 0.6, 30 epochs, batch 32),
   (b) n=100,000 x 10 features, linear + MSE, Adam lr 0.01, 2 epochs, batch 32 and
   (c) seed 002's digits lesson (the page's training split, 64 raw pixels, odd vs even; sigmoid +
       cross-entropy, Adam lr 0.01, 20 epochs, batch 32): many small steps, where per-step overhead shows.
2. Landscape: `playground.landscape.loss_grid` vs the seed notebook's Python double loop and vs a
   chunked broadcast evaluation.
3. A summary table of every ratio with its target.

Times are medians of several repeats (time.perf_counter) after one warm-up run. The training loops
being compared are timed interleaved (engine, bare, torch, engine, bare, torch, ...) so that changes in
machine load during the run hit all of them alike, and their ratios are the median of the per-round
ratios (the ratio of the median times is printed next to it).
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from playground.engine import MAX_FRAMES, train  # noqa: E402
from playground.experiment import load_dataset, split  # noqa: E402
from playground.landscape import loss_grid  # noqa: E402
from playground.settings import Settings  # noqa: E402

try:
    import torch
except ImportError:  # the benchmark still runs the NumPy parts
    torch = None
try:
    from threadpoolctl import threadpool_limits  # installed with scikit-learn
except ImportError:
    threadpool_limits = None

TORCH_THREADS = 1  # tiny batches: extra threads only add synchronisation overhead
TORCH_DTYPE = "float64"  # the engine computes in float64; use the same precision for a like-for-like run

SUMMARY: list[tuple[str, str, str, str]] = []  # (what, measured, target, PASS/MISS/info)


def timed_all(fn, repeats: int) -> tuple[list[float], object]:
    """Wall times (s) of `repeats` calls of fn() after one warm-up call, and the last result."""
    result = fn()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return times, result


def timed(fn, repeats: int) -> tuple[float, object]:
    """Median wall time (s) of `repeats` calls of fn() after one warm-up call, and the last result."""
    times, result = timed_all(fn, repeats)
    return statistics.median(times), result


def timed_interleaved(fns: dict, repeats: int) -> dict[str, list[float]]:
    """Wall times (s) of each fn over `repeats` rounds, one call of every fn per round, after one warm-up each."""
    for fn in fns.values():
        fn()
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return times


def paired_ratio(numerator: list[float], denominator: list[float]) -> float:
    """Median of the per-round ratios: robust to machine load that drifts between rounds."""
    return statistics.median(a / b for a, b in zip(numerator, denominator))


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def record(what: str, measured: str, target: str, status: str) -> None:
    SUMMARY.append((what, measured, target, status))


# ---------------------------------------------------------------------------------------------- workloads


def seed000_workload() -> tuple[np.ndarray, np.ndarray]:
    """Seed 000: x = linspace(0, 1, 100), y = 1.35x + 0.5 + N(0, 0.33)."""
    rng = np.random.default_rng(0)
    x = np.linspace(0.0, 1.0, 100)
    y = 1.35 * x + 0.5 + rng.normal(0.0, 0.33, size=x.size)
    return x[:, None], y


def large_workload(n: int = 100_000, p: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """n x p standard-normal features, y linear in them plus noise."""
    rng = np.random.default_rng(1)
    X = rng.normal(size=(n, p))
    y = X @ rng.normal(size=p) + 0.5 + rng.normal(0.0, 0.33, size=n)
    return X, y


def digits_workload() -> tuple[np.ndarray, np.ndarray]:
    """Seed 002's digits lesson: the page's 80 % training split, 64 raw pixels (0–16), y = odd (1) / even (0)."""
    settings = Settings(dataset="digits", digit_target="odd", validation_split=0.2, seed=0)
    X_train, _, y_train, _ = split(load_dataset(settings), settings)
    return np.ascontiguousarray(X_train, dtype=np.float64), np.asarray(y_train, dtype=np.float64)


def initial_params(p: int, seed: int = 0) -> tuple[np.ndarray, float]:
    """Glorot-uniform weights (p,) and zero bias: the same starting point for all three loops."""
    limit = np.sqrt(6.0 / (p + 1))
    return np.random.default_rng(seed).uniform(-limit, limit, size=p), 0.0


# ---------------------------------------------------------------------------------------------- the loops


def run_engine(X, y, w0, b0, lr, epochs, batch_size, shuffle, seed=0, activation="linear", loss="mse", **penalty):
    h = train(
        X, y, activation=activation, loss=loss, optimizer="adam", learning_rate=lr, batch_size=batch_size,
        epochs=epochs, shuffle=shuffle, seed=seed, init=(w0, b0), **penalty,
    )
    return h.w[-1].copy(), float(h.b[-1]), h


def run_engine_logistic(X, y, w0, b0, lr, epochs, batch_size, shuffle, seed=0, **penalty):
    return run_engine(X, y, w0, b0, lr, epochs, batch_size, shuffle, seed, activation="sigmoid", loss="bce",
                      **penalty)


def run_bare(X, y, w0, b0, lr, epochs, batch_size, shuffle, seed=0):
    """Straightforward matrix-form NumPy loop: linear neuron, MSE, textbook Adam on W and b separately."""
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    n, p = X.shape
    y_col = y[:, None]
    W = np.asarray(w0, dtype=np.float64).reshape(p, 1).copy()  # (p, 1)
    b = np.array([b0], dtype=np.float64)  # (1,)
    mW, vW, mb, vb = np.zeros_like(W), np.zeros_like(W), np.zeros_like(b), np.zeros_like(b)
    steps_per_epoch = -(-n // batch_size)
    total = epochs * steps_per_epoch
    W_hist, b_hist, loss_hist = np.empty((total + 1, p)), np.empty(total + 1), np.empty(total + 1)
    err = X @ W + b - y_col
    train_loss = [float(np.mean(err * err))]
    W_hist[0], b_hist[0], loss_hist[0] = W[:, 0], b[0], train_loss[0]
    rng = np.random.default_rng(seed)
    t = 0
    for _ in range(epochs):
        if shuffle:
            order = rng.permutation(n)
            Xs, ys = X[order], y_col[order]
        else:
            Xs, ys = X, y_col
        for start in range(0, n, batch_size):
            Xb, yb = Xs[start : start + batch_size], ys[start : start + batch_size]
            m = Xb.shape[0]
            err = Xb @ W + b - yb  # (m, 1)
            batch_loss = float(np.mean(err * err))
            gW = (2.0 / m) * (Xb.T @ err)  # (p, 1)
            gb = (2.0 / m) * np.sum(err, axis=0)  # (1,)
            t += 1
            mW = beta1 * mW + (1 - beta1) * gW
            vW = beta2 * vW + (1 - beta2) * gW * gW
            mb = beta1 * mb + (1 - beta1) * gb
            vb = beta2 * vb + (1 - beta2) * gb * gb
            c1, c2 = 1 - beta1**t, 1 - beta2**t
            W -= lr * (mW / c1) / (np.sqrt(vW / c2) + eps)
            b -= lr * (mb / c1) / (np.sqrt(vb / c2) + eps)
            W_hist[t], b_hist[t], loss_hist[t] = W[:, 0], b[0], batch_loss
        err = X @ W + b - y_col
        train_loss.append(float(np.mean(err * err)))
    return W[:, 0].copy(), float(b[0]), (W_hist, b_hist, loss_hist, np.array(train_loss))


def run_bare_logistic(X, y, w0, b0, lr, epochs, batch_size, shuffle, seed=0):
    """The same loop for a sigmoid neuron with cross-entropy computed from the logit z (as the engine does)."""
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    n, p = X.shape
    y_col = y[:, None]
    W = np.asarray(w0, dtype=np.float64).reshape(p, 1).copy()  # (p, 1)
    b = np.array([b0], dtype=np.float64)  # (1,)
    mW, vW, mb, vb = np.zeros_like(W), np.zeros_like(W), np.zeros_like(b), np.zeros_like(b)
    steps_per_epoch = -(-n // batch_size)
    total = epochs * steps_per_epoch
    W_hist, b_hist, loss_hist = np.empty((total + 1, p)), np.empty(total + 1), np.empty(total + 1)

    def cross_entropy(z, y_col):  # mean of max(z, 0) − y·z + log(1 + e^−|z|)
        return float(np.mean(np.maximum(z, 0.0) - y_col * z + np.log1p(np.exp(-np.abs(z)))))

    train_loss = [cross_entropy(X @ W + b, y_col)]
    W_hist[0], b_hist[0], loss_hist[0] = W[:, 0], b[0], train_loss[0]
    rng = np.random.default_rng(seed)
    t = 0
    for _ in range(epochs):
        if shuffle:
            order = rng.permutation(n)
            Xs, ys = X[order], y_col[order]
        else:
            Xs, ys = X, y_col
        for start in range(0, n, batch_size):
            Xb, yb = Xs[start : start + batch_size], ys[start : start + batch_size]
            m = Xb.shape[0]
            z = Xb @ W + b  # (m, 1)
            batch_loss = cross_entropy(z, yb)
            err = (1.0 / (1.0 + np.exp(-z)) - yb) / m  # dL/dz
            gW = Xb.T @ err  # (p, 1)
            gb = np.sum(err, axis=0)  # (1,)
            t += 1
            mW = beta1 * mW + (1 - beta1) * gW
            vW = beta2 * vW + (1 - beta2) * gW * gW
            mb = beta1 * mb + (1 - beta1) * gb
            vb = beta2 * vb + (1 - beta2) * gb * gb
            c1, c2 = 1 - beta1**t, 1 - beta2**t
            W -= lr * (mW / c1) / (np.sqrt(vW / c2) + eps)
            b -= lr * (mb / c1) / (np.sqrt(vb / c2) + eps)
            W_hist[t], b_hist[t], loss_hist[t] = W[:, 0], b[0], batch_loss
        train_loss.append(cross_entropy(X @ W + b, y_col))
    return W[:, 0].copy(), float(b[0]), (W_hist, b_hist, loss_hist, np.array(train_loss))


def run_lean_logistic(X, y, w0, b0, lr, epochs, batch_size, shuffle, seed=0):
    """As lean as plain NumPy gets: one flat (w, b) vector, Adam in place in buffers allocated once, the batch
    loss as mean(log(1 + e^z) − y·z) and σ(z) = 1/(1 + e^−z); the same bookkeeping as the other loops."""
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    n, p = X.shape
    theta = np.append(np.asarray(w0, dtype=np.float64), b0)  # (p + 1,): w then b
    w, b = theta[:p], theta[p:]
    grad = np.zeros(p + 1)  # (p + 1,)
    grad_w, grad_b = grad[:p], grad[p:]
    m, v, term, denominator = (np.zeros(p + 1) for _ in range(4))
    steps_per_epoch = -(-n // batch_size)
    total = epochs * steps_per_epoch
    hist, loss_hist = np.empty((total + 1, p + 1)), np.empty(total + 1)

    def cross_entropy(z, y):
        return float(np.add.reduce(np.logaddexp(0.0, z) - y * z)) / z.size

    train_loss = [cross_entropy(X @ w + b[0], y)]
    hist[0], loss_hist[0] = theta, train_loss[0]
    rng = np.random.default_rng(seed)
    t = 0
    for _ in range(epochs):
        if shuffle:
            order = rng.permutation(n)
            Xs, ys = X[order], y[order]
        else:
            Xs, ys = X, y
        for start in range(0, n, batch_size):
            Xb, yb = Xs[start : start + batch_size], ys[start : start + batch_size]
            z = Xb @ w + b[0]  # (m,)
            batch_loss = cross_entropy(z, yb)
            err = 1.0 / (1.0 + np.exp(-z))
            err -= yb
            err /= z.size  # dL/dz
            np.matmul(err, Xb, out=grad_w)
            grad_b[0] = np.add.reduce(err)
            t += 1
            m *= beta1
            m += np.multiply(grad, 1 - beta1, out=term)
            v *= beta2
            np.multiply(grad, grad, out=term)
            term *= 1 - beta2
            v += term
            np.divide(v, 1 - beta2**t, out=denominator)
            np.sqrt(denominator, out=denominator)
            denominator += eps
            np.multiply(m, lr / (1 - beta1**t), out=term)
            theta -= np.divide(term, denominator, out=term)
            hist[t], loss_hist[t] = theta, batch_loss
        train_loss.append(cross_entropy(X @ w + b[0], y))
    return theta[:p].copy(), float(theta[p]), (hist, loss_hist, np.array(train_loss))


def run_torch(X, y, w0, b0, lr, epochs, batch_size, shuffle, seed=0, loss_fn=None):
    """Idiomatic PyTorch: nn.Linear, optim.Adam, MSELoss, manual batching with torch.randperm."""
    dtype = getattr(torch, TORCH_DTYPE)
    Xt, yt = X, y  # already tensors (converted once, outside the timing)
    n, p = Xt.shape
    model = torch.nn.Linear(p, 1, dtype=dtype)
    with torch.no_grad():
        model.weight.copy_(torch.as_tensor(w0, dtype=dtype).reshape(1, p))
        model.bias.fill_(b0)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = loss_fn or torch.nn.MSELoss()
    gen = torch.Generator().manual_seed(seed)
    total = epochs * (-(-n // batch_size))
    W_hist, b_hist = torch.empty(total + 1, p, dtype=dtype), torch.empty(total + 1, dtype=dtype)
    loss_hist = torch.empty(total + 1, dtype=dtype)
    with torch.no_grad():
        train_loss = [loss_fn(model(Xt), yt).item()]
        W_hist[0], b_hist[0], loss_hist[0] = model.weight[0], model.bias[0], train_loss[0]
    step = 0
    for _ in range(epochs):
        if shuffle:
            order = torch.randperm(n, generator=gen)
            Xs, ys = Xt[order], yt[order]
        else:
            Xs, ys = Xt, yt
        for start in range(0, n, batch_size):
            xb, yb = Xs[start : start + batch_size], ys[start : start + batch_size]
            opt.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
            step += 1
            with torch.no_grad():
                W_hist[step], b_hist[step], loss_hist[step] = model.weight[0], model.bias[0], loss.detach()
        with torch.no_grad():
            train_loss.append(loss_fn(model(Xt), yt).item())
    return model.weight.detach()[0].numpy().copy(), float(model.bias.detach()[0]), (W_hist, b_hist, loss_hist)


def run_torch_logistic(X, y, w0, b0, lr, epochs, batch_size, shuffle, seed=0):
    """The same with nn.BCEWithLogitsLoss: a sigmoid neuron with cross-entropy from the logit."""
    return run_torch(X, y, w0, b0, lr, epochs, batch_size, shuffle, seed, loss_fn=torch.nn.BCEWithLogitsLoss())


class Model(NamedTuple):
    """A workload's model and the loops that train it."""

    name: str
    engine: Callable
    bare: Callable  # straightforward NumPy: W and b apart, each formula one expression (allocating)
    lean: Callable | None  # the leanest plain-NumPy loop, if timed too
    torch: Callable
    torch_target: float | None  # torch/engine should be at least this (None: for information)


LINEAR_MSE = Model("linear + MSE", run_engine, run_bare, None, run_torch, 8.0)
SIGMOID_BCE = Model("sigmoid + cross-entropy", run_engine_logistic, run_bare_logistic, run_lean_logistic,
                    run_torch_logistic, None)


# ---------------------------------------------------------------------------------------------- part 1


def bench_training(label, X, y, lr, epochs, batch_size, repeats, model=LINEAR_MSE, penalty=None) -> None:
    """Check the engine against the bare (and torch) loop, then time them interleaved; `penalty` (e.g.
    {"regularization": "l2", "regularization_rate": 1e-3}) also times the engine with that weight penalty."""
    name, run_engine, run_bare, run_torch = model.name, model.engine, model.bare, model.torch
    n, p = X.shape
    steps = epochs * (-(-n // batch_size))
    w0, b0 = initial_params(p)
    print(f"\n== 1{label[0]}. {label[1:]}")
    print(f"   n={n:,} p={p} | {name} | Adam lr {lr} | batch {batch_size} | {epochs} epochs | "
          f"{steps:,} steps | shuffle each epoch | median of {repeats} interleaved rounds (after 1 warm-up)")
    if steps > MAX_FRAMES:
        print(f"   note: the engine thins its recorded frames to {MAX_FRAMES + 1:,}; "
              f"the bare and torch loops record all {steps + 1:,}")

    # Correctness: shuffle=False, same initial weights -> the same trajectory up to rounding.
    we, be, h = run_engine(X, y, w0, b0, lr, epochs, batch_size, shuffle=False)
    wb, bb, (W_hist, b_hist, loss_hist, train_loss) = run_bare(X, y, w0, b0, lr, epochs, batch_size, False)
    final_diff = max(np.max(np.abs(we - wb)), abs(be - bb))
    traj_diff = max(np.max(np.abs(h.w - W_hist[h.step])), np.max(np.abs(h.b - b_hist[h.step])))
    loss_diff = max(np.max(np.abs(h.batch_loss[1:] - loss_hist[h.step[1:]])),
                    np.max(np.abs(h.train_loss - train_loss)))
    scale = max(1.0, np.max(np.abs(wb)), abs(bb))
    ok = max(final_diff, traj_diff) <= 1e-9 * scale
    print(f"   check (shuffle=False, same init): engine vs bare  max|Δ final w,b| = {final_diff:.2e}, "
          f"max|Δ recorded w,b| = {traj_diff:.2e}, max|Δ losses| = {loss_diff:.2e}  -> {verdict(ok)}")
    record(f"{label[0]}: engine == bare (shuffle=False)", f"{final_diff:.1e}", "≤ 1e-9", verdict(ok))
    if model.lean is not None:
        wl, bl, (hist, _, _) = model.lean(X, y, w0, b0, lr, epochs, batch_size, False)
        lean_diff = np.max(np.abs(h.params - hist[h.step]))
        print(f"   check (shuffle=False, same init): engine vs lean  max|Δ recorded w,b| = {lean_diff:.2e}")
    if torch is not None:
        Xt = torch.as_tensor(X, dtype=getattr(torch, TORCH_DTYPE))
        yt = torch.as_tensor(y, dtype=getattr(torch, TORCH_DTYPE))[:, None]
        wt, bt, _ = run_torch(Xt, yt, w0, b0, lr, epochs, batch_size, shuffle=False)
        torch_diff = max(np.max(np.abs(we - wt)), abs(be - bt))
        print(f"   check (shuffle=False, same init): engine vs torch max|Δ final w,b| = {torch_diff:.2e}")
    print(f"   final w[:3] = {np.round(we[:3], 4)}, b = {be:.4f}")

    # Timing, shuffle=True (each loop with its own seeded RNG), interleaved.
    fns = {
        "engine": lambda: run_engine(X, y, w0, b0, lr, epochs, batch_size, True),
        "bare": lambda: run_bare(X, y, w0, b0, lr, epochs, batch_size, True),
    }
    if model.lean is not None:
        fns["lean"] = lambda: model.lean(X, y, w0, b0, lr, epochs, batch_size, True)
    if penalty is not None:
        fns["engine+" + penalty["regularization"]] = lambda: run_engine(X, y, w0, b0, lr, epochs, batch_size, True,
                                                                        **penalty)
    if torch is not None:
        fns["torch"] = lambda: run_torch(Xt, yt, w0, b0, lr, epochs, batch_size, True)
    times = timed_interleaved(fns, repeats)
    med = {name: statistics.median(ts) for name, ts in times.items()}
    us = 1e6 / steps
    for name, ts in times.items():
        print(f"   {name:9s} : {med[name] * 1e3:9.2f} ms total  {med[name] * us:7.2f} µs/step  "
              f"(min {min(ts) * us:.2f}, max {max(ts) * us:.2f})")
    # Ratios: median over rounds of the within-round ratio (the calls of one round run back to back).
    r_bare = paired_ratio(times["engine"], times["bare"])
    print(f"   engine/bare  = {r_bare:5.2f}   (target ≤ 1.3)  {verdict(r_bare <= 1.3)}   "
          f"[ratio of medians {med['engine'] / med['bare']:.2f}]")
    record(f"{label[0]}: engine/bare", f"{r_bare:.2f}", "≤ 1.3", verdict(r_bare <= 1.3))
    if model.lean is not None:
        r_lean = paired_ratio(times["engine"], times["lean"])
        print(f"   engine/lean  = {r_lean:5.2f}   (target ≤ 1.3)  {verdict(r_lean <= 1.3)}   "
              f"[ratio of medians {med['engine'] / med['lean']:.2f}]")
        record(f"{label[0]}: engine/lean", f"{r_lean:.2f}", "≤ 1.3", verdict(r_lean <= 1.3))
    if penalty is not None:
        key = "engine+" + penalty["regularization"]
        r_penalty = paired_ratio(times[key], times["engine"])
        print(f"   {key}/engine = {r_penalty:5.2f}   (the cost of the penalty, info)")
        record(f"{label[0]}: {key}/engine", f"{r_penalty:.2f}", "-", "info")
    target = model.torch_target
    if torch is None:
        print("   torch   : torch not installed, skipped")
        record(f"{label[0]}: torch/engine", "n/a", f"≥ {target:g}" if target else "-", "SKIP (torch not installed)")
        return
    r_torch = paired_ratio(times["torch"], times["engine"])
    if target is None:
        print(f"   torch/engine = {r_torch:5.2f}   (info)   [ratio of medians {med['torch'] / med['engine']:.2f}]")
        record(f"{label[0]}: torch/engine", f"{r_torch:.2f}", "-", "info")
        return
    print(f"   torch/engine = {r_torch:5.2f}   (target ≥ {target:g})    {verdict(r_torch >= target)}   "
          f"[ratio of medians {med['torch'] / med['engine']:.2f}]")
    record(f"{label[0]}: torch/engine", f"{r_torch:.2f}", f"≥ {target:g}", verdict(r_torch >= target))


# ---------------------------------------------------------------------------------------------- part 2


def double_loop_grid(x, y, w_values, b_values) -> np.ndarray:
    """The seed notebook's landscape: a Python double loop, one np.mean per grid point."""
    grid = np.empty((len(b_values), len(w_values)))
    for i, b in enumerate(b_values):
        for j, w in enumerate(w_values):
            grid[i, j] = np.mean((w * x + b - y) ** 2)
    return grid


def broadcast_grid(x, y, w_values, b_values, chunk_elements: int = 4_000_000) -> np.ndarray:
    """Vectorised O(grid x n) evaluation: broadcast (rows, W, n) in chunks of b rows."""
    grid = np.empty((len(b_values), len(w_values)))
    rows = max(1, chunk_elements // (len(w_values) * x.size))
    if rows == 1 and len(w_values) * x.size > chunk_elements:  # one b row is still too big: chunk w too
        cols = max(1, chunk_elements // x.size)
        for i, b in enumerate(b_values):
            for j in range(0, len(w_values), cols):
                z = w_values[j : j + cols, None] * x[None, :] + b - y
                grid[i, j : j + cols] = np.mean(z * z, axis=-1)
        return grid
    for start in range(0, len(b_values), rows):
        z = w_values[None, :, None] * x + b_values[start : start + rows, None, None] - y
        grid[start : start + rows] = np.mean(z * z, axis=-1)
    return grid


def bench_landscape() -> None:
    n, side = 100_000, 200
    rng = np.random.default_rng(2)
    x = rng.uniform(0.0, 1.0, size=n)
    y = 1.35 * x + 0.5 + rng.normal(0.0, 0.33, size=n)
    w_values, b_values = np.linspace(-1.0, 4.0, side), np.linspace(-1.5, 2.5, side)
    points = side * side
    print(f"\n== 2. Landscape: loss_grid, linear + MSE, {side}x{side} grid on n={n:,} one-feature points")

    times, grid = timed_all(lambda: loss_grid(x, y, w_values, b_values), 21)
    t_grid = statistics.median(times)
    print(f"   loss_grid {side}x{side}         : {t_grid * 1e3:10.3f} ms  (median of 21; min {min(times) * 1e3:.3f},"
          f" max {max(times) * 1e3:.3f})  target < 20 ms  {verdict(t_grid < 0.020)}")
    record(f"loss_grid {side}x{side}, n=100k", f"{t_grid * 1e3:.2f} ms", "< 20 ms", verdict(t_grid < 0.020))
    if threadpool_limits is not None:  # the same with BLAS single-threaded (loss_grid's x·y moments use BLAS)
        with threadpool_limits(limits=1, user_api="blas"):
            times_1, _ = timed_all(lambda: loss_grid(x, y, w_values, b_values), 21)
        print(f"   loss_grid {side}x{side}, BLAS 1 thread: {statistics.median(times_1) * 1e3:7.3f} ms  (median of 21;"
              f" min {min(times_1) * 1e3:.3f}, max {max(times_1) * 1e3:.3f}; threadpoolctl, info)")
        record(f"loss_grid {side}x{side}, BLAS 1 thread", f"{statistics.median(times_1) * 1e3:.2f} ms", "-", "info")

    small = 20
    idx = np.linspace(0, side - 1, small).astype(int)  # a 20x20 sub-grid of the same grid
    t_loop, loop_grid = timed(lambda: double_loop_grid(x, y, w_values[idx], b_values[idx]), 3)
    t_loop_full = t_loop / (small * small) * points
    diff_loop = np.max(np.abs(loop_grid - grid[np.ix_(idx, idx)]) / np.maximum(1.0, loop_grid))
    print(f"   double loop {small}x{small} (measured) : {t_loop * 1e3:10.1f} ms  (median of 3) "
          f"= {t_loop / (small * small) * 1e6:.1f} µs/point")
    print(f"   double loop {side}x{side} (extrapolated per point from {small}x{small}): {t_loop_full:8.2f} s")

    rows = 10  # time 10 of the 200 b rows (x 200 w = 2,000 points, 2e8 elements) and extrapolate
    t_bc, bc_grid = timed(lambda: broadcast_grid(x, y, w_values, b_values[:rows]), 1)
    t_bc_full = t_bc / rows * side
    diff_bc = np.max(np.abs(bc_grid - grid[:rows]) / np.maximum(1.0, bc_grid))
    print(f"   broadcast {rows}x{side} rows (measured): {t_bc * 1e3:10.1f} ms  (median of 1 after warm-up, "
          f"chunks of 4e6 elements) = {t_bc / (rows * side) * 1e6:.1f} µs/point")
    print(f"   broadcast {side}x{side} (extrapolated per row from {rows} of {side} rows): {t_bc_full:8.2f} s")
    ok = max(diff_loop, diff_bc) < 1e-9
    print(f"   check: max rel |Δ| loss_grid vs double loop = {diff_loop:.1e}, vs broadcast = {diff_bc:.1e}"
          f"  -> {verdict(ok)}")
    r_loop, r_bc = t_loop_full / t_grid, t_bc_full / t_grid
    print(f"   speed-up of loss_grid: {r_loop:,.0f}x vs double loop, {r_bc:,.0f}x vs broadcast")
    record("loss_grid == double loop / broadcast", f"{max(diff_loop, diff_bc):.1e}", "≤ 1e-9", verdict(ok))
    record("double loop / loss_grid (extrap.)", f"{r_loop:,.0f}x", "-", "info")
    record("broadcast / loss_grid (extrap.)", f"{r_bc:,.0f}x", "-", "info")

    # For information: the general (point-by-point) path, sigmoid + cross-entropy.
    n_cls, side_cls = 1_000, 100
    xc = rng.normal(size=n_cls)
    yc = (rng.uniform(size=n_cls) < 1.0 / (1.0 + np.exp(-(2.0 * xc - 0.5)))).astype(np.float64)
    wc, bc = np.linspace(-4.0, 6.0, side_cls), np.linspace(-4.0, 4.0, side_cls)
    t_sig, _ = timed(lambda: loss_grid(xc, yc, wc, bc, activation="sigmoid", loss="bce"), 7)
    print(f"   loss_grid sigmoid+bce {side_cls}x{side_cls}, n={n_cls:,}: {t_sig * 1e3:8.2f} ms "
          "(median of 7, info)")
    record(f"loss_grid sigmoid+bce {side_cls}x{side_cls}, n=1k", f"{t_sig * 1e3:.1f} ms", "-", "info")


# ---------------------------------------------------------------------------------------------- main


def main() -> None:
    start, cpu_start = time.perf_counter(), time.process_time()
    print("Neuron Playground engine benchmark")
    print(f"Python {platform.python_version()} | NumPy {np.__version__} | {platform.machine()} | "
          f"{os.cpu_count()} CPUs | load average at start {os.getloadavg()[0]:.2f}")
    if torch is None:
        print("torch not installed: PyTorch comparisons skipped")
    else:
        torch.set_num_threads(TORCH_THREADS)
        print(f"PyTorch {torch.__version__} on CPU, torch.set_num_threads({TORCH_THREADS}), "
              f"dtype {TORCH_DTYPE}, nn.Linear + optim.Adam (defaults) + nn.MSELoss or nn.BCEWithLogitsLoss, "
              "batches by torch.randperm + slicing")

    parts = set(sys.argv[1:]) or {"seed000", "large", "digits", "landscape"}
    if "seed000" in parts:
        X, y = seed000_workload()
        bench_training("aSeed 000 workload", X, y, lr=0.6, epochs=30, batch_size=32, repeats=7)
    if "large" in parts:
        X, y = large_workload()
        bench_training("bLarge workload", X, y, lr=0.01, epochs=2, batch_size=32, repeats=3)
    if "digits" in parts:
        X, y = digits_workload()
        bench_training("cDigits lesson (seed 002)", X, y, lr=0.01, epochs=20, batch_size=32, repeats=21,
                       model=SIGMOID_BCE, penalty={"regularization": "l2", "regularization_rate": 1e-3})
    if "landscape" in parts:
        bench_landscape()

    print("\n== 3. Summary")
    widths = [max(len(row[k]) for row in SUMMARY) for k in range(4)]
    header = ("measure", "measured", "target", "result")
    widths = [max(w, len(h)) for w, h in zip(widths, header)]
    line = "  ".join(f"{{:<{w}}}" for w in widths)
    print("   " + line.format(*header))
    print("   " + "  ".join("-" * w for w in widths))
    for row in SUMMARY:
        print("   " + line.format(*row))
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    print(f"\nTotal benchmark time: {wall:.1f} s wall, {cpu:.1f} s CPU of this process "
          f"({cpu / wall:.0%}; well below 100% means other load on the machine inflated the times)")


if __name__ == "__main__":
    main()
