"""A run of the Neuron Playground, reproduced with NumPy only (no playground code needed).

The code in this file is the same for every run. The run itself is the one literal `RUN` at the end of
the file, written by the playground: its settings, what the data is (names, target, scaling), the
settings the training uses, and the training and validation data with every float to full precision.

Run:  python this_file.py     It prints the loss after each epoch, then the final weights, bias and
the training loss of those final weights (after an explosion: of the state just before it, as the
playground shows), and last one JSON line with every parameter (the same numbers as the playground's).
"""

import json

import numpy as np


# Activations g(z), each with its derivative dg/dz written from z and a = g(z).
def sigmoid(z):
    return np.exp(-np.logaddexp(0.0, -z))  # 1 / (1 + e^-z), without overflow for any z


ACTIVATIONS = {
    "linear": (lambda z: z, lambda z, a: 1.0),
    "sigmoid": (sigmoid, lambda z, a: a * (1.0 - a)),
    "tanh": (np.tanh, lambda z, a: 1.0 - a * a),
    "relu": (lambda z: np.maximum(z, 0.0), lambda z, a: (z > 0).astype(z.dtype)),
    "leaky_relu": (lambda z: np.where(z > 0, z, 0.01 * z), lambda z, a: np.where(z > 0, 1.0, 0.01)),
}
EPS = 1e-7  # cross-entropy clips probabilities to [EPS, 1 - EPS]


def loss_and_delta(loss, activation, z, a, y):
    """Loss of the output (z, a) against targets y, all (m, 1), and dL/dz for backpropagation.

    `loss` is "mse" (mean squared error) or "bce" (binary cross-entropy); `activation` is the output's g.
    """
    if loss == "bce" and activation == "sigmoid":  # computed from z: exact, never log(0)
        value = np.mean(np.maximum(z, 0.0) - y * z + np.log1p(np.exp(-np.abs(z))))
        return float(value), (sigmoid(z) - y) / z.size  # the famous "prediction - target"
    if loss == "mse":
        err = a - y
        value, dL_da = float(np.vdot(err, err)) / err.size, (2.0 / a.size) * (a - y)
    else:
        p = np.clip(a, EPS, 1.0 - EPS)
        value = float(np.mean(-(y * np.log(p) + (1.0 - y) * np.log1p(-p))))
        inside = (a > EPS) & (a < 1.0 - EPS)
        dL_da = np.where(inside, (p - y) / (p * (1.0 - p)), 0.0) / a.size
    return value, dL_da * ACTIVATIONS[activation][1](z, a)  # chain rule: dL/dz = dL/da · da/dz


# Weight penalties r(w) with dr/dw, in Keras's convention: the objective is loss + λ·Σ r(w) over every
# layer's weights (never the biases): l2 is λ·Σw² (gradient 2λw), l1 is λ·Σ|w| (gradient λ·sign(w)).
REGULARIZERS = {"l1": (np.abs, np.sign), "l2": (lambda w: w * w, lambda w: 2.0 * w)}


def penalty(net, regularization, rate, grads=None):
    """λ·Σ r(w) over the weights of every layer; with `grads`, also adds λ·dr/dw to the weight gradients."""
    if regularization == "none":
        return 0.0
    r, dr = REGULARIZERS[regularization]
    total = 0.0
    for i, (W, _) in enumerate(net):
        if grads is not None:
            grads[i][0][...] += rate * dr(W)
        total += float(r(W).sum())
    return rate * total


def layers(flat, sizes):
    """(W, b) views into one flat vector: W (fan_in, fan_out) then b (fan_out,), layer after layer."""
    views, start = [], 0
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        W = flat[start : start + fan_in * fan_out].reshape(fan_in, fan_out)
        start += fan_in * fan_out
        views.append((W, flat[start : start + fan_out]))
        start += fan_out
    return views


def forward(net, X, activation, hidden_activation):
    """(z, a) of every layer: z = a_prev @ W + b, a = g(z). The last pair is the output neuron."""
    cache, a = [], X
    for i, (W, b) in enumerate(net):
        z = a @ W + b
        a = ACTIVATIONS[activation if i == len(net) - 1 else hidden_activation][0](z)
        cache.append((z, a))
    return cache


def loss_and_gradient(net, grads, X, y, activation, hidden_activation, loss):
    """Loss on a batch; writes dL/dW and dL/db of every layer into `grads` (backpropagation)."""
    cache = forward(net, X, activation, hidden_activation)
    value, delta = loss_and_delta(loss, activation, *cache[-1], y)  # delta = dL/dz of a layer, (m, units)
    for i in range(len(net) - 1, -1, -1):
        a_prev = cache[i - 1][1] if i else X
        np.matmul(a_prev.T, delta, out=grads[i][0])  # dL/dW = a_prevᵀ · delta
        np.sum(delta, axis=0, out=grads[i][1])  # dL/db = delta summed over the batch
        if i:
            z_prev, a_prev = cache[i - 1]
            delta = (delta @ net[i][0].T) * ACTIVATIONS[hidden_activation][1](z_prev, a_prev)
    return value


def make_optimizer(optimizer, learning_rate, n_params):
    """The update rule θ ← θ - step, with PyTorch's formulas and defaults; it updates θ in place."""
    m, v, t = np.zeros(n_params), np.zeros(n_params), [0]
    beta1, beta2, alpha, mu, eps = 0.9, 0.999, 0.99, 0.9, 1e-8

    def step(theta, g):
        if optimizer == "sgd":  # θ -= lr·g
            theta -= learning_rate * g
        elif optimizer == "momentum":  # v = μ·v + g;  θ -= lr·v
            v[:] = v * mu + g
            theta -= learning_rate * v
        elif optimizer == "rmsprop":  # v = α·v + (1-α)·g²;  θ -= lr·g / (√v + ε)
            v[:] = v * alpha + (1.0 - alpha) * g * g
            theta -= learning_rate * g / (np.sqrt(v) + eps)
        else:  # adam: moments m (of g) and v (of g²), bias-corrected by 1 - β^t
            t[0] += 1
            m[:] = m * beta1 + (1.0 - beta1) * g
            v[:] = v * beta2 + (1.0 - beta2) * g * g
            m_hat, v_hat = m / (1.0 - beta1 ** t[0]), v / (1.0 - beta2 ** t[0])
            theta -= learning_rate * m_hat / (np.sqrt(v_hat) + eps)

    return step


def train(X, y, X_val, y_val, *, hidden, activation, hidden_activation, loss, optimizer, learning_rate,
          batch_size, epochs, shuffle, seed, explode_factor, regularization="none", regularization_rate=0.0):
    """Mini-batch training; returns the final parameters, the per-epoch losses and the divergence step.

    hidden: neurons per hidden layer, () for a single neuron. shuffle: draw the batches in a new random
    order each epoch. seed: fixes the starting weights and the batch order. explode_factor: an objective
    (loss + penalty) above this × max(initial objective, 1) stops training (the run diverged).
    regularization, regularization_rate: the weight penalty ("none", "l1" or "l2") and its λ.
    """
    n, p = X.shape
    sizes = (p, *hidden, 1)
    rng = np.random.default_rng(seed)
    theta = np.zeros(sum((fan_in + 1) * fan_out for fan_in, fan_out in zip(sizes[:-1], sizes[1:])))
    grad = np.zeros_like(theta)
    net, grads = layers(theta, sizes), layers(grad, sizes)
    for W, b in net:  # Glorot-uniform starting weights, zero biases (as Keras's Dense layer)
        limit = np.sqrt(6.0 / (W.shape[0] + W.shape[1]))
        W[...] = rng.uniform(-limit, limit, size=W.shape)
        b[...] = 0.0
    step_rule = make_optimizer(optimizer, learning_rate, theta.size)

    def loss_on(X_all, y_all):  # the loss on a whole data set
        return loss_and_delta(loss, activation, *forward(net, X_all, activation, hidden_activation)[-1],
                              y_all[:, None])[0]

    def full_loss(step):  # (step, train loss, validation loss) on all the data
        return step, loss_on(X, y), None if X_val is None else loss_on(X_val, y_val)

    history = [full_loss(0)]
    objective = [history[0][1] + penalty(net, regularization, regularization_rate)]  # loss + penalty, per epoch
    too_big = explode_factor * max(objective[0], 1.0)
    previous = theta.copy()  # the state before the latest update, kept in case the loss explodes

    def exploded(step):  # stop: keep the state before the bad update and the losses before it
        return previous, [e for e in history if e[0] < step] or history[:1], step

    if not objective[0] <= too_big:
        return exploded(0)
    step, batch_size, y_col = 0, min(batch_size, n), y[:, None]
    for _ in range(epochs):
        X_epoch, y_epoch = X, y_col
        if shuffle:
            order = rng.permutation(n)
            X_epoch, y_epoch = X[order], y_col[order]
        for start in range(0, n, batch_size):  # the last batch may be smaller
            batch_loss = loss_and_gradient(net, grads, X_epoch[start : start + batch_size],
                                           y_epoch[start : start + batch_size], activation, hidden_activation,
                                           loss)
            batch_loss += penalty(net, regularization, regularization_rate, grads)  # the objective and its gradient
            if not batch_loss <= too_big:  # exploded, or NaN: this state came from a bad update
                return exploded(step)
            previous[:] = theta
            step_rule(theta, grad)
            step += 1
        history.append(full_loss(step))
        objective.append(history[-1][1] + penalty(net, regularization, regularization_rate))
        if not objective[-1] <= too_big:
            return exploded(step)
    return theta, history, None


def loss_of(theta, X, y, training):
    """The training loss (data only, no penalty) of the parameters `theta` on X, y."""
    net = layers(theta, (X.shape[1], *training["hidden"], 1))
    z, a = forward(net, X, training["activation"], training["hidden_activation"])[-1]
    return loss_and_delta(training["loss"], training["activation"], z, a, y[:, None])[0]


def as_array(rows):
    """A list (of lists) of numbers as a float array; None stays None (no validation data)."""
    return None if rows is None else np.array(rows, dtype=np.float64)


def main(run):
    """Train as `run` says and print the losses and the final parameters."""
    np.seterr(all="ignore")  # a diverging run overflows on purpose; the check in train() stops it
    X_train, y_train = as_array(run["X_train"]), as_array(run["y_train"])
    X_val, y_val = as_array(run["X_val"]), as_array(run["y_val"])
    training = run["training"]
    theta, epochs, diverged_at = train(X_train, y_train, X_val, y_val, **training)
    print("epoch  train loss" + ("  validation loss" if X_val is not None else ""))
    for epoch, (_, train_loss, val_loss) in enumerate(epochs):
        print(f"{epoch:5d}  {train_loss:10.6g}" + (f"  {val_loss:15.6g}" if val_loss is not None else ""))
    if diverged_at is not None:
        print(f"The loss exploded at step {diverged_at}: kept the parameters from just before it.")
    k = (training["hidden"] or [X_train.shape[1]])[-1]  # inputs of the output neuron
    final_loss = loss_of(theta, X_train, y_train, training)  # of these parameters (after an explosion: not an epoch's)
    print("output neuron weights:", theta[-k - 1 : -1].tolist())
    print("output neuron bias:   ", float(theta[-1]))
    print("final training loss:  ", final_loss)
    print(json.dumps({"params": theta.tolist(), "weights": theta[-k - 1 : -1].tolist(), "bias": float(theta[-1]),
                      "train_loss": final_loss, "diverged_at": diverged_at}))
