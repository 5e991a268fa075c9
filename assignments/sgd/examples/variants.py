"""Bundled example submissions of ``sgd`` and what grading each must give.

Regenerate the notebooks with ``autograder examples sgd`` after editing this file or the
student notebook. Each wrong variant must lose points on the question it breaks, keep them
on the others, and get the named diagnosis. A variant that breaks ``sgd_step`` or
``minibatch_indices`` also replaces ``train_linear_regression`` by one that does not call
the broken function, so that only the broken question loses points.
"""

from autograder.authoring.variants import HOSTILE_ANSWER, Variant

# w1, the written question a TA grades: a good answer, a partial one (the template's is empty)
GOOD_ANSWER = """
A minibatch gradient is the gradient of the loss on a few samples only, so it is a noisy
estimate of the full gradient (unbiased: its average over an epoch is the full gradient, as q4
shows). The noise gets smaller as the batch gets bigger, roughly like 1/batch size. So with the
same learning rate, small batches make the loss jump around and never settle exactly at the
minimum, and there are many more steps per epoch. In my run with batch size 1 the loss went up
and down between steps while with the full batch it decreased every step.
"""
PARTIAL_ANSWER = """
Minibatches are faster because each step uses fewer samples.
"""

TRAIN_WITHOUT_HELPERS = """
def train_linear_regression(X, Y, lr, batch_size, epochs, seed):
    torch.manual_seed(seed)
    model = torch.nn.Linear(X.shape[1], Y.shape[1]).to(X.device)
    gen = torch.Generator().manual_seed(seed)
    losses = []
    for _ in range(epochs):
        for idx in torch.split(torch.randperm(X.shape[0], generator=gen), batch_size):
            idx = idx.to(X.device)
            model.zero_grad()
            loss = ((model(X[idx]) - Y[idx]) ** 2).mean()
            loss.backward()
            with torch.no_grad():
                for p in model.parameters():
                    p -= lr * p.grad
            losses.append(loss.item())
    return model, losses
"""


def _train(body_change: str, replacement: str) -> str:
    """The reference training loop with one line changed (the source is checked to contain it)."""
    assert body_change in TRAIN_WITHOUT_HELPERS
    source = TRAIN_WITHOUT_HELPERS.replace(body_change, replacement)
    source = source.replace("torch.split(torch.randperm(X.shape[0], generator=gen), batch_size)",
                            "minibatch_indices(X.shape[0], batch_size, gen)")
    return source.replace("""            with torch.no_grad():
                for p in model.parameters():
                    p -= lr * p.grad
""", """            sgd_step(model.parameters(), lr)
""")


VARIANTS = [
    Variant("correct", "every function as the reference solves it, and a good written answer",
            written={"w1": GOOD_ANSWER}),
    Variant("template", "the untouched student notebook", base="template", loses=("q1", "q2", "q3", "q4"),
            diagnosis="NotImplementedError"),
    Variant(
        "q1_rebinds_params", "sgd_step that rebinds the loop variable instead of updating in place",
        solutions={"sgd_step": """
def sgd_step(params, lr):
    for p in params:
        if p.grad is not None:
            p = p - lr * p.grad
""", "train_linear_regression": TRAIN_WITHOUT_HELPERS},
        loses=("q1",), diagnosis="the parameters were rebound",
        written={"w1": PARTIAL_ANSWER},
    ),
    Variant(
        "q1_recorded_in_graph", "sgd_step without torch.no_grad()",
        solutions={"sgd_step": """
def sgd_step(params, lr):
    for p in params:
        if p.grad is not None:
            p -= lr * p.grad
""", "train_linear_regression": TRAIN_WITHOUT_HELPERS},
        loses=("q1",), diagnosis="recorded in the autograd graph",
    ),
    Variant(
        "q1_none_grad_not_skipped", "sgd_step that assumes every .grad exists",
        solutions={"sgd_step": """
def sgd_step(params, lr):
    with torch.no_grad():
        for p in params:
            p -= lr * p.grad
"""},
        loses=("q1",), diagnosis="must be skipped",
    ),
    Variant(
        "q2_global_rng", "minibatch_indices shuffling with torch.randperm(n) (the global RNG)",
        solutions={"minibatch_indices": """
def minibatch_indices(n, batch_size, generator):
    return list(torch.split(torch.randperm(n), batch_size))
""", "train_linear_regression": TRAIN_WITHOUT_HELPERS},
        loses=("q2",), diagnosis="global RNG",
    ),
    Variant(
        "q3_no_zero_grad", "training loop that never zeroes the gradients",
        solutions={"train_linear_regression": _train("            model.zero_grad()\n", "")},
        loses=("q3",), diagnosis="WITHOUT zeroing the gradients",
    ),
    Variant(
        "q3_seed_after_model", "training loop that creates the model before seeding",
        solutions={"train_linear_regression": _train(
            """    torch.manual_seed(seed)
    model = torch.nn.Linear(X.shape[1], Y.shape[1]).to(X.device)
""", """    model = torch.nn.Linear(X.shape[1], Y.shape[1]).to(X.device)
    torch.manual_seed(seed)
""")},
        loses=("q3",), diagnosis="wrong seeding order",
    ),
    Variant(
        "q3_loss_after_step", "training loop recording the loss recomputed after the update",
        solutions={"train_linear_regression": _train(
            "            losses.append(loss.item())\n",
            "            losses.append(((model(X[idx]) - Y[idx]) ** 2).mean().item())\n")},
        loses=("q3",), diagnosis="recorded at the wrong step",
    ),
    Variant(
        "q4_sum_over_batches", "minibatch_gradient_average summing instead of averaging",
        solutions={"minibatch_gradient_average": """
def minibatch_gradient_average(model, X, Y, batch_size):
    params = list(model.parameters())
    totals = [torch.zeros_like(p) for p in params]
    for start in range(0, X.shape[0], batch_size):
        loss = ((model(X[start:start + batch_size]) - Y[start:start + batch_size]) ** 2).mean()
        for total, grad in zip(totals, torch.autograd.grad(loss, params)):
            total += grad
    return totals
"""},
        loses=("q4",), diagnosis="sum instead of mean",
    ),
    Variant(
        "q4_no_clearing", "minibatch_gradient_average reading .grad after every backward, never zeroed",
        solutions={"minibatch_gradient_average": """
def minibatch_gradient_average(model, X, Y, batch_size):
    params = list(model.parameters())
    totals = [torch.zeros_like(p) for p in params]
    batches = X.shape[0] // batch_size
    for start in range(0, X.shape[0], batch_size):
        loss = ((model(X[start:start + batch_size]) - Y[start:start + batch_size]) ** 2).mean()
        loss.backward()
        for total, p in zip(totals, params):
            total += p.grad
    return [total / batches for total in totals]
"""},
        loses=("q4",), diagnosis="without clearing",
    ),
    Variant(
        "w1_hostile_html",
        "every function right; a written answer holding a script and event handlers (the review app shows it inert)",
        written={"w1": HOSTILE_ANSWER},
    ),
]
