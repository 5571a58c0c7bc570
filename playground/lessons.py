"""Guided lessons: four replay the source notebooks, one walks TensorFlow Playground's ground further, each
as named presets of the settings.

A lesson has parts; a part is a preset (settings overrides, validated by the schema like any URL),
the view to open, what to look at, and one question to try. Open one with `?lesson=<id>`.
"""

from __future__ import annotations

from dataclasses import dataclass

from .settings import Settings


@dataclass(frozen=True)
class LessonPart:
    """One step of a lesson: a preset, the view it opens and the text shown above the charts."""

    title: str
    preset: dict
    view: str
    look_at: str
    question: str

    def settings(self) -> Settings:
        """The part's preset on top of the default settings."""
        return Settings.from_mapping(self.preset)[0]


@dataclass(frozen=True)
class Lesson:
    """A notebook replayed (or another walk through the page) as one or more parts."""

    id: str
    title: str
    notebook: str  # "000 — …" for a notebook's replay; other text says where the lesson comes from
    parts: tuple[LessonPart, ...]

    @property
    def source(self) -> str:
        """Where it comes from, for the banner: "Replays notebook 000 — …", or the lesson's own line."""
        return f"Replays notebook {self.notebook}" if self.notebook[:3].isdigit() else self.notebook

    @property
    def short_source(self) -> str:
        """The same in a few words, for the lesson picker: "notebook 000" or "TensorFlow Playground"."""
        return f"notebook {self.notebook[:3]}" if self.notebook[:3].isdigit() else self.notebook.split(",")[0]


# The 2-D lessons: one sigmoid neuron (or network), TensorFlow Playground's 50 % held out, Adam.
_PLANE_LESSON = {"n_points": 300, "noise": 1.0, "validation_split": 0.5, "standardize": False, "inputs": "",
                 "activation": "sigmoid", "hidden_layers": 0, "loss": "bce", "optimizer": "adam",
                 "learning_rate": 0.03, "batch_size": 10, "epochs": 100, "regularization": "none", "seed": 0}

LESSONS: dict[str, Lesson] = {lesson.id: lesson for lesson in (
    Lesson("line", "A neuron is a line", "000 — Keras single linear neuron vs scipy's linregress", (
        LessonPart(
            "One linear neuron, Adam, 30 epochs",
            {"dataset": "line", "n_points": 100, "noise": 1.0, "validation_split": 0.0, "standardize": False,
             "activation": "linear", "hidden_layers": 0, "loss": "mse", "optimizer": "adam",
             "learning_rate": 0.6, "batch_size": 32, "epochs": 30, "seed": 1},
            "Fit & landscape",
            "The neuron computes ŷ = w·x + b: its **weight is the slope** and its **bias the intercept**. "
            "Compare them with the exact least-squares line (violet, dashed) under the equation above. "
            "Press ▶ Play to watch Adam walk down the loss valley on the right.",
            "The notebook asked how the learning rate matters. Set it to 0.001: after 30 epochs, how far is the "
            "neuron from the exact answer, and after 500? Then switch the optimizer to SGD and try 0.6, then 1.5: "
            "at 1.5 the loss explodes. Why does Adam at 10 not? (Adam divides each step by the recent size of the "
            "gradient, so a weight moves by about the learning rate per update, however steep the slope.)",
        ),
    )),
    Lesson("gradient-descent", "Gradient descent by hand", "001 — a NumPy Neuron class with mini-batches", (
        LessonPart(
            "y = 8x + noise: five mini-batches per epoch",
            {"dataset": "line800", "n_points": 800, "noise": 1.0, "validation_split": 0.25, "standardize": True,
             "activation": "linear", "hidden_layers": 0, "loss": "mse", "optimizer": "sgd",
             "learning_rate": 0.01, "batch_size": 120, "epochs": 99, "seed": 0},
            "Fit & landscape",
            "Plain SGD, learning rate 0.01, on 600 standardized training points in 5 mini-batches of 120, for 99 "
            "epochs (the notebook's `range(1, 100)`): each update is w := w − α·dE/dw. The notebook's noise "
            "`np.random.normal(x, 200)` has mean x, so the points follow y = 9x on average. x is standardized, so "
            "the weight is per standard deviation of x (about 29): it heads for about 9 × 29 ≈ 260, and the line "
            "under the equation gives the neuron in x's own units. The heatmap is the MSE over (w, b) and the line "
            "the path taken. **Inspect** has the records table per (epoch, batch), to download; **Parameters** plots "
            "w and b. *Where this differs from the notebook:* the start is Glorot-uniform with b = 0 (the notebook "
            "draws w and b from [0, 1)); the records' loss is each batch's (the notebook's is the whole training "
            "set's, before the update); and the points come from a seeded NumPy Generator, so they are not the "
            "notebook's own.",
            "Why is the path an almost straight line to the star? (With x standardized the valley is round, so "
            "the slope points straight at the bottom.) Turn **Standardize features** off: x now runs to 100, the "
            "valley becomes a narrow trench and the same learning rate makes the loss explode. Then, standardized "
            "again, try batch size 1 and the full batch: what changes in the path and in the grey batch losses?",
        ),
        LessonPart(
            "Ten features: the diabetes data",
            {"dataset": "diabetes", "features": "", "validation_split": 0.2, "standardize": True,
             "activation": "linear", "hidden_layers": 0, "loss": "mse", "optimizer": "sgd",
             "learning_rate": 0.1, "batch_size": 2000, "epochs": 99, "seed": 0},
            "Inspect",
            "One linear neuron with 10 inputs (scikit-learn's diabetes data, standardized; it replaces the "
            "Boston data the notebook used). Full-batch gradient descent: the bars compare the neuron's 10 "
            "weights with the least-squares coefficients at the epoch you pick.",
            "Which weights reach their exact value first? Which are still far after 10 epochs, and why might "
            "correlated features be slow?",
        ),
    )),
    Lesson("digits", "Perceptron on digits", "002 — digits: sigmoid, a hidden layer of 4, cross-entropy", (
        LessonPart(
            "One sigmoid neuron: odd or even",
            {"dataset": "digits", "digit_target": "odd", "validation_split": 0.2, "standardize": True,
             "activation": "sigmoid", "hidden_layers": 0, "loss": "bce", "optimizer": "adam",
             "learning_rate": 0.01, "batch_size": 32, "epochs": 20, "seed": 0},
            "Inspect",
            "Each 8×8 image is flattened to 64 inputs, each pixel standardized (mean 0, standard deviation 1 over "
            "the training images; the notebook feeds the raw 0–16 values, and part 2 shows why this lesson does "
            "not); one sigmoid neuron outputs P(odd), trained with cross-entropy. **Inspect** shows digits, the 64 "
            "learned weights as an 8×8 image, and digits the neuron gets wrong; the validation accuracy is on the "
            "held-out 20 %.",
            "Batch size 1, 32 and all (stochastic, mini-batch, batch): which reaches the best validation "
            "accuracy in 20 epochs? Change the seed a few times first: over 20 seeds (each its own split and "
            "start) one neuron's held-out accuracy has a median of 0.919 and runs from 0.886 to 0.942, so a "
            "difference smaller than that spread may be luck. Then try \"digit k vs the rest\" — which digit is "
            "easiest?",
        ),
        LessonPart(
            "A hidden layer of 4",
            {"dataset": "digits", "digit_target": "odd", "validation_split": 0.2, "standardize": True,
             "activation": "sigmoid", "hidden_layers": 1, "hidden_units": 4, "hidden_activation": "sigmoid",
             "loss": "bce", "optimizer": "adam", "learning_rate": 0.01, "batch_size": 32, "epochs": 20,
             "seed": 0},
            "Inspect",
            "64 → 4 → 1 as in the notebook: 260 + 5 = 265 parameters. The hidden neurons' weights are drawn as "
            "four 8×8 images. Switch the hidden activation between sigmoid, tanh and ReLU.",
            "Over 20 seeds the hidden layer of 4 adds a median of 3.3 points of held-out accuracy (from +1.7 to "
            "+4.7: better on every one of the 20). Does tanh or ReLU learn faster here? Then turn **Standardize "
            "features** off to feed the raw 0–16 pixels, as the notebook does: w·x + b of the hidden neurons is "
            "then large, so most hidden sigmoids start saturated, flat where their gradient vanishes (see "
            "**Activations**). Over the same seeds the hidden layer then adds only about 2 points and loses to one "
            "neuron on some of them; which seeds those are can change when the starting weights move by one unit of "
            "their last binary digit. That is why this lesson standardizes.",
        ),
    )),
    Lesson("set-weights", "Set the weights yourself", "003 — neurons and layers, by hand", (
        LessonPart(
            "House prices: a linear neuron",
            {"dataset": "house", "validation_split": 0.0, "activation": "linear", "hidden_layers": 0,
             "loss": "mse", "optimizer": "adam", "learning_rate": 10.0, "batch_size": 2000, "epochs": 500},
            "Set weights by hand",
            "Two houses: 1000 sqft for $300k and 2000 sqft for $500k. Move w and b and watch the line and the "
            "mean squared error. No training: you are the optimizer. (The trained neuron above, Adam with "
            "learning rate 10, finds the same line.)",
            "The sliders start at the notebook's w = 200, b = 100: zero error. Set w = 150: which b puts the "
            "line through the first house again, and what happens to the error on the second?",
        ),
        LessonPart(
            "A logistic neuron",
            {"dataset": "logistic6", "validation_split": 0.0, "activation": "sigmoid", "hidden_layers": 0,
             "loss": "bce", "optimizer": "adam", "learning_rate": 0.6, "batch_size": 2000, "epochs": 100},
            "Set weights by hand",
            "Six points x = 0…5 labelled 0, 0, 0, 1, 1, 1. With a sigmoid, the neuron outputs a probability: "
            "the shading shows it. The notebook sets w = 2 and b = −4.5; at x = 0 that gives 0.01.",
            "The red dashed line marks where the probability is 0.5: work out where w·x + b = 0 for w = 2, "
            "b = −4.5, and check it against the chart. Then make w larger and smaller while keeping that point "
            "where it is: which b does each w need, and what happens to the curve and to the loss?",
        ),
    )),
    Lesson("nonlinear", "Beyond a straight line", "after TensorFlow Playground, with this page's numbers", (
        LessonPart(
            "One neuron, two circles",
            {**_PLANE_LESSON, "dataset": "circles"},
            "Fit & landscape",
            "Class 1 sits on a small circle inside a big circle of class 0. One sigmoid neuron on x1 and x2 "
            "computes σ(w1·x1 + w2·x2 + b): its boundary, where that is 0.5 (the black line), is a straight line, "
            "and no straight line keeps a circle on one side. Half the 300 points are held out; the held-out "
            "accuracy stays at most 0.75 on every one of 10 seeds.",
            "Switch the dataset to XOR: does one neuron do any better? A circle is x1² + x2² = r²: which inputs "
            "would let one neuron draw it?",
        ),
        LessonPart(
            "Add x1² and x2² as inputs",
            {**_PLANE_LESSON, "dataset": "circles", "inputs": "x1,x2,x1sq,x2sq"},
            "Fit & landscape",
            "The same single neuron, now fed x1, x2, x1² and x2² (Input features in the sidebar): its boundary "
            "w1·x1 + w2·x2 + w3·x1² + w4·x2² + b = 0 can be an ellipse, and it separates the circles, at least "
            "0.95 held-out accuracy on every one of 10 seeds. Read the two squared weights in the equation above.",
            "XOR is one input away too: which one? (Try x1·x2 on XOR: the class is the sign of x1·x2.)",
        ),
        LessonPart(
            "Or a hidden layer of 4",
            {**_PLANE_LESSON, "dataset": "xor", "hidden_layers": 1, "hidden_units": 4, "hidden_activation": "tanh"},
            "Network",
            "Back to raw x1 and x2 on XOR, with 4 tanh neurons between them and the output. Each hidden neuron "
            "draws its own straight line (its picture in the diagram: dark on one side, light on the other); the "
            "output neuron weighs the four, which can fold the plane into the quadrants. ▶ Play to watch them "
            "turn. At least 0.95 held-out accuracy on every one of 10 seeds, on XOR and on the circles.",
            "How few hidden neurons still work on XOR? Try 2 and 3, and a few seeds each.",
        ),
        LessonPart(
            "Too big a network for too few points",
            {**_PLANE_LESSON, "dataset": "circles", "n_points": 40, "noise": 3.0, "hidden_layers": 3,
             "hidden_units": 8, "hidden_activation": "tanh", "epochs": 300, "seed": 4},
            "Loss",
            "40 noisy points, 20 to train on, and 3 hidden layers of 8: 177 parameters. The network learns the "
            "20 training points by heart (train accuracy 1.0 in the median of 10 seeds) while the validation "
            "loss, after its low point, climbs again: overfitting. With this seed (4) it is lowest around "
            "epoch 70 and ends more than 4 times higher; over 10 seeds its median ends at 1.40, 3.9 times its "
            "lowest (a few seeds' points happen to be easy and show little of it).",
            "Watch the Fit tab: how does the boundary bend around single noisy training points?",
        ),
        LessonPart(
            "Tame it with L2",
            {**_PLANE_LESSON, "dataset": "circles", "n_points": 40, "noise": 3.0, "hidden_layers": 3,
             "hidden_units": 8, "hidden_activation": "tanh", "epochs": 300, "regularization": "l2",
             "regularization_rate": 0.003, "seed": 4},
            "Loss",
            "The same network and points with an L2 penalty, λ·Σw² with λ = 0.003: large weights cost, so the "
            "boundary stays smooth. Over the same 10 seeds the median final validation loss drops from 1.40 to "
            "0.42 and the median validation accuracy rises from 0.775 to 0.825.",
            "Try λ = 0.01: what happens when the penalty outweighs the data? And L1 instead of L2?",
        ),
    )),
)}


def parse_lesson_flag(flag: str | None) -> tuple[str, int] | None:
    """A link's `lesson=` value: 'digits' → ('digits', 0), 'digits:2' → ('digits', 1); None when there is no such
    lesson. A part number out of range opens the nearest part; one that is not a number, the first."""
    lesson_id, _, number = str(flag or "").partition(":")
    if lesson_id not in LESSONS:
        return None
    last = len(LESSONS[lesson_id].parts) - 1
    number = number.strip()
    digits = number.lstrip("0") if number.isdecimal() else ""  # decimal digits of any script ("٢" is 2, "²" is none)
    part = last if len(digits) > 3 else int(digits or "1") - 1  # never int() 4,301 digits (Python refuses)
    return lesson_id, min(max(part, 0), last)


def lesson_part(lesson_id: str | None, part: int = 0) -> LessonPart | None:
    """A lesson's part, or None for an unknown id."""
    lesson = LESSONS.get(lesson_id or "")
    if lesson is None:
        return None
    return lesson.parts[min(max(part, 0), len(lesson.parts) - 1)]
