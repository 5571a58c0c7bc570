"""The NumPy neuron engine: dense layers, activations, losses, optimizers and training history.

    from playground.engine import train
    h = train(X, y, activation="linear", loss="mse", optimizer="adam", learning_rate=0.6,
              batch_size=32, epochs=30, shuffle=True, seed=0, hidden=(), init=None, validation=None,
              regularization="none", regularization_rate=0.0)
"""

from .activations import ACTIVATIONS, Activation
from .losses import LOSSES, Loss
from .network import Network, parameter_counts
from .optimizers import OPTIMIZERS
from .regularizers import REGULARIZERS, Regularizer, weight_penalty
from .training import EXPLODE_FACTOR, MAX_FRAMES, History, TrainingRun, evenly_spaced, train

__all__ = [
    "ACTIVATIONS", "Activation", "LOSSES", "Loss", "Network", "parameter_counts", "OPTIMIZERS",
    "REGULARIZERS", "Regularizer", "weight_penalty",
    "EXPLODE_FACTOR", "MAX_FRAMES", "History", "TrainingRun", "evenly_spaced", "train",
]
