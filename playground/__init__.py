"""Neuron Playground: see a neural network learn."""
