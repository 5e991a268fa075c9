"""Checks for assignment ``sgd`` (hidden: never released).

Public cases use the notebook's example inputs; hidden cases draw sizes, values, learning
rates and seeds from the student's seed. Functions that take or return objects the wire
cannot carry (a model, a generator, a parameter's ``.grad``) are called through a driver
that builds those objects from plain inputs and returns plain tensors, floats and bools.
Each mistake computes what a typical slip produces on the same inputs, so feedback can name
it.
"""

import torch

from autograder.checks.compare import Rule
from autograder.checks.spec import Case, Mistake, QuestionCheck, Rng


def _distinct_sizes(rng: Rng, count: int, low: int = 2, high: int = 9) -> list[int]:
    sizes: list[int] = []
    while len(sizes) < count:
        size = rng.integer(low, high)
        if size not in sizes:
            sizes.append(size)
    return sizes


# q1 sgd_step ------------------------------------------------------------------------------

SGD_DRIVER = """
import torch

def sgd_probe(sgd_step, values, grads, lr):
    params = [v.clone().requires_grad_(True) for v in values]
    for p, g in zip(params, grads):
        p.grad = None if g is None else g.clone()
    try:
        returned = sgd_step((p for p in params), lr)  # a generator, like model.parameters()
    except NotImplementedError:
        raise
    except Exception as error:
        text = str(error)
        if "leaf Variable" in text and "in-place" in text:
            problem = "RuntimeError: in-place update of a leaf that requires grad"
        elif "NoneType" in text and any(g is None for g in grads):
            problem = "failed on a parameter whose .grad is None"
        else:
            raise
        return {"error": problem, "parameters": None, "grads": None, "is_leaf": None,
                "grad_fn is None": None, "requires_grad": None, "returned": None}
    return {
        "error": None,
        "parameters": [p.detach().clone() for p in params],
        "grads": [None if p.grad is None else p.grad.detach().clone() for p in params],
        "is_leaf": [bool(p.is_leaf) for p in params],
        "grad_fn is None": [p.grad_fn is None for p in params],
        "requires_grad": [bool(p.requires_grad) for p in params],
        "returned": returned,
    }
"""

LEAF_ERROR = "RuntimeError: in-place update of a leaf that requires grad"
NONE_ERROR = "failed on a parameter whose .grad is None"


def _step_result(values, grads, lr, *, new=None, new_grads=None, requires_grad=True, error=None):
    if error is not None:
        return {"error": error, "parameters": None, "grads": None, "is_leaf": None,
                "grad_fn is None": None, "requires_grad": None, "returned": None}
    if new is None:
        new = [v if g is None else v - lr * g for v, g in zip(values, grads, strict=True)]
    return {
        "error": None,
        "parameters": list(new),
        "grads": list(grads) if new_grads is None else list(new_grads),
        "is_leaf": [True] * len(values),
        "grad_fn is None": [True] * len(values),
        "requires_grad": [requires_grad] * len(values),
        "returned": None,
    }


def _example_step(with_none: bool):
    def inputs(rng: Rng) -> dict:
        values = [torch.tensor([[1.0, -2.0, 0.5], [0.0, 3.0, -1.0]]), torch.tensor([0.5, -0.5])]
        grads = [torch.tensor([[0.1, 0.2, -0.3], [1.0, -1.0, 0.0]]), torch.tensor([2.0, -4.0])]
        if with_none:
            values.append(torch.tensor([7.0, 8.0, 9.0]))
            grads.append(None)
        return {"values": values, "grads": grads, "lr": 0.1}
    return inputs


def _random_step(rng: Rng) -> dict:
    count = rng.integer(2, 4)
    values, grads = [], []
    for index in range(count):
        shape = _distinct_sizes(rng, rng.integer(1, 2), 2, 6)
        values.append(rng.normal(*shape))
        grads.append(None if index == count - 1 else rng.normal(*shape))
    return {"values": values, "grads": grads, "lr": rng.choice([0.05, 0.1, 0.3, 0.7])}


q1 = QuestionCheck(
    call="sgd_probe(sgd_step, values, grads, lr)",
    driver=SGD_DRIVER,
    cases=(
        Case("the notebook's W and b", _example_step(False)),
        Case("the notebook's W and b plus a parameter whose .grad is None", _example_step(True)),
        Case("random parameters, one .grad None", _random_step, hidden=True),
        Case("random parameters, one .grad None", _random_step, hidden=True),
    ),
    mistakes=(
        Mistake("the parameters were rebound (p = p - lr * p.grad makes a new tensor), so the "
                "original tensors did not change: update in place, p -= lr * p.grad",
                lambda values, grads, lr: _step_result(values, grads, lr, new=values)),
        Mistake("the update was recorded in the autograd graph: an in-place update of a leaf "
                "that requires grad must run inside `with torch.no_grad():`",
                lambda values, grads, lr: _step_result(values, grads, lr, error=LEAF_ERROR)),
        Mistake("parameters whose .grad is None must be skipped (`if p.grad is None: continue`)",
                lambda values, grads, lr: _step_result(values, grads, lr, error=NONE_ERROR)),
        Mistake("you zeroed .grad: sgd_step must leave the gradients as they were (zeroing is the "
                "training loop's job, before the next backward)",
                lambda values, grads, lr: _step_result(values, grads, lr, new_grads=[
                    None if g is None else torch.zeros_like(g) for g in grads])),
        Mistake("you set .grad to None: sgd_step must leave the gradients as they were",
                lambda values, grads, lr: _step_result(values, grads, lr,
                                                       new_grads=[None] * len(grads))),
        Mistake("sign error: gradient descent subtracts lr * p.grad",
                lambda values, grads, lr: _step_result(values, grads, -lr)),
        Mistake("requires_grad was switched off: leave it on (use torch.no_grad() instead)",
                lambda values, grads, lr: _step_result(values, grads, lr, requires_grad=False)),
    ),
)


# q2 minibatch_indices ---------------------------------------------------------------------

INDICES_DRIVER = """
import torch

def indices_probe(minibatch_indices, n, batch_size, seed):
    torch.manual_seed(seed + 1)  # the global RNG is not the generator you are given
    generator = torch.Generator().manual_seed(seed)
    batches = minibatch_indices(n, batch_size, generator)
    following = int(torch.randint(0, 2 ** 30, (), generator=generator))
    return {"batches": batches, "next draw from the generator": following}
"""


def _indices(n, batch_size, seed, *, source="generator", split="split", drop_last=False):
    generator = torch.Generator().manual_seed(seed)
    if source == "generator":
        order = torch.randperm(n, generator=generator)
    elif source == "global":
        order = torch.randperm(n, generator=torch.Generator().manual_seed(seed + 1))
    else:
        order = torch.arange(n)
    batches = list(torch.split(order, batch_size) if split == "split" else torch.chunk(order, batch_size))
    if drop_last and n % batch_size:
        batches = batches[:-1]
    return {"batches": batches,
            "next draw from the generator": int(torch.randint(0, 2 ** 30, (), generator=generator))}


def _random_indices(rng: Rng) -> dict:
    batch_size = rng.integer(2, 7)
    return {"n": batch_size * rng.integer(2, 5) + rng.integer(1, batch_size - 1), "batch_size": batch_size,
            "seed": rng.integer(0, 10_000)}


q2 = QuestionCheck(
    call="indices_probe(minibatch_indices, n, batch_size, seed)",
    driver=INDICES_DRIVER,
    rule=Rule(rtol=0.0, atol=0.0, scale_atol=False),
    cases=(
        Case("n=10, batch_size=4, seed 0", lambda rng: {"n": 10, "batch_size": 4, "seed": 0}),
        Case("n=12, batch_size=3, seed 7", lambda rng: {"n": 12, "batch_size": 3, "seed": 7}),
        Case("random n, batch size and seed (last batch shorter)", _random_indices, hidden=True),
        Case("random n, batch size and seed (last batch shorter)", _random_indices, hidden=True),
    ),
    mistakes=(
        Mistake("you shuffled with the global RNG (torch.randperm(n)) instead of the generator "
                "you were given: pass generator=generator",
                lambda n, batch_size, seed: _indices(n, batch_size, seed, source="global")),
        Mistake("the indices are not shuffled: use torch.randperm(n, generator=generator)",
                lambda n, batch_size, seed: _indices(n, batch_size, seed, source="none")),
        Mistake("the last, shorter batch was dropped: keep it",
                lambda n, batch_size, seed: _indices(n, batch_size, seed, drop_last=True)),
        Mistake("torch.chunk makes batch_size batches; torch.split makes batches of batch_size",
                lambda n, batch_size, seed: _indices(n, batch_size, seed, split="chunk")),
    ),
)


# q3 train_linear_regression ---------------------------------------------------------------

TRAIN_DRIVER = """
import torch

def trained(train_linear_regression, X, Y, lr, batch_size, epochs, seed):
    torch.manual_seed(seed + 1)  # a global RNG state that is not the one you must seed
    model, losses = train_linear_regression(X, Y, lr, batch_size, epochs, seed)
    return {"losses": losses, "weight": model.weight.detach().clone(),
            "bias": model.bias.detach().clone()}
"""


def _train(X, Y, lr, batch_size, epochs, seed, *, zero=True, model_first=False, shuffle="generator",
           record="before", reseed_each_epoch=False):
    torch.manual_seed(seed + 1)
    if model_first:
        model = torch.nn.Linear(X.shape[1], Y.shape[1])
        torch.manual_seed(seed)
    else:
        torch.manual_seed(seed)
        model = torch.nn.Linear(X.shape[1], Y.shape[1])
    generator = torch.Generator().manual_seed(seed)
    losses = []
    for _ in range(epochs):
        if reseed_each_epoch:
            generator = torch.Generator().manual_seed(seed)
        if shuffle == "generator":
            order = torch.randperm(X.shape[0], generator=generator)
        else:
            order = torch.randperm(X.shape[0])
        for idx in torch.split(order, batch_size):
            if zero:
                model.zero_grad()
            loss = ((model(X[idx]) - Y[idx]) ** 2).mean()
            loss.backward()
            with torch.no_grad():
                for p in model.parameters():
                    p -= lr * p.grad
            if record == "after":
                with torch.no_grad():
                    loss = ((model(X[idx]) - Y[idx]) ** 2).mean()
            losses.append(loss.item())
    return {"losses": losses, "weight": model.weight.detach().clone(), "bias": model.bias.detach().clone()}


def _train_mistake(**options):
    return lambda X, Y, lr, batch_size, epochs, seed: _train(X, Y, lr, batch_size, epochs, seed, **options)


def _example_regression(rng: Rng) -> dict:
    generator = torch.Generator().manual_seed(0)
    X = torch.randn(20, 3, generator=generator)
    true_w = torch.tensor([[1.0, -2.0, 0.5], [0.0, 1.0, 1.0]])
    Y = X @ true_w.T + torch.tensor([0.5, -1.0]) + 0.1 * torch.randn(20, 2, generator=generator)
    return {"X": X, "Y": Y, "lr": 0.1, "batch_size": 6, "epochs": 3, "seed": 0}


def _random_regression(rng: Rng) -> dict:
    d, m = _distinct_sizes(rng, 2, 1, 5)
    batch_size = rng.integer(3, 8)
    n = batch_size * rng.integer(2, 5) + rng.integer(1, batch_size - 1)
    X = rng.normal(n, d)
    Y = X @ rng.normal(d, m) + rng.normal(m) + 0.1 * rng.normal(n, m)
    return {"X": X, "Y": Y, "lr": rng.choice([0.02, 0.05, 0.1]), "batch_size": batch_size,
            "epochs": rng.integer(2, 4), "seed": rng.integer(0, 10_000)}


q3 = QuestionCheck(
    call="trained(train_linear_regression, X, Y, lr, batch_size, epochs, seed)",
    driver=TRAIN_DRIVER,
    rule=Rule(rtol=2e-5, atol=2e-5, float_dtype=torch.float32),
    cases=(
        Case("the notebook's 20 x 3 regression, lr 0.1, batch size 6, 3 epochs, seed 0",
             _example_regression),
        Case("random regression problem, lr, batch size, epochs and seed", _random_regression, hidden=True),
        Case("random regression problem, lr, batch size, epochs and seed", _random_regression, hidden=True),
    ),
    mistakes=(
        Mistake("your run matches training WITHOUT zeroing the gradients: .grad accumulates over "
                "steps, so call model.zero_grad() (or set p.grad = None) before each backward",
                _train_mistake(zero=False)),
        Mistake("wrong seeding order: torch.manual_seed(seed) must come before torch.nn.Linear(D, M), "
                "whose initial weights are drawn from the global RNG",
                _train_mistake(model_first=True)),
        Mistake("the generator is re-seeded every epoch, so every epoch repeats the same order: "
                "create it once, before the epoch loop",
                _train_mistake(reseed_each_epoch=True)),
        Mistake("you shuffled with the global RNG instead of gen: use minibatch_indices(N, batch_size, gen)",
                _train_mistake(shuffle="global")),
        Mistake("the loss is recorded at the wrong step: append the minibatch loss computed before "
                "sgd_step (the one you called backward on), not one recomputed after the update",
                _train_mistake(record="after")),
    ),
)


# q4 minibatch_gradient_average ------------------------------------------------------------

AVERAGE_DRIVER = """
import torch

def average_probe(minibatch_gradient_average, W, b, X, Y, batch_size):
    model = torch.nn.Linear(W.shape[1], W.shape[0]).to(device=X.device, dtype=X.dtype)
    with torch.no_grad():
        model.weight.copy_(W)
        model.bias.copy_(b)
    for p in model.parameters():
        p.grad = torch.ones_like(p)  # stale gradients left over from an earlier step
    return minibatch_gradient_average(model, X, Y, batch_size)
"""


def _batch_grads(W, b, X, Y, batch_size):
    grads = []
    for start in range(0, X.shape[0], batch_size):
        Xb, Yb = X[start:start + batch_size], Y[start:start + batch_size]
        G = 2 * (Xb @ W.T + b - Yb) / Yb.numel()
        grads.append((G.T @ Xb, G.sum(dim=0)))
    return grads


def _combine(kind: str):
    def output(W, b, X, Y, batch_size):
        grads = _batch_grads(W, b, X, Y, batch_size)
        count = len(grads)
        if kind == "sum":
            return [sum(g[i] for g in grads) for i in range(2)]
        if kind == "last":
            return list(grads[-1])
        if kind == "first":
            return list(grads[0])
        if kind == "stale":  # never zeroed: stale .grad (ones) plus every batch, divided by count
            return [(1 + sum(g[i] for g in grads)) / count for i in range(2)]
        cumulative = [[1 + sum(g[i] for g in grads[:k + 1]) for k in range(count)] for i in range(2)]
        if kind == "running":  # .grad read after every batch without clearing, stale ones included
            return [sum(c) / count for c in cumulative]
        return [sum(c) / count - 1 for c in cumulative]  # zeroed once at the start only
    return output


def _example_average(rng: Rng) -> dict:
    generator = torch.Generator().manual_seed(1)
    return {"W": torch.tensor([[0.5, -1.0, 2.0], [1.0, 0.0, -0.5]]), "b": torch.tensor([0.1, -0.3]),
            "X": torch.randn(12, 3, generator=generator), "Y": torch.randn(12, 2, generator=generator),
            "batch_size": 4}


def _random_average(rng: Rng) -> dict:
    d, m = _distinct_sizes(rng, 2, 1, 6)
    batch_size = rng.integer(2, 6)
    n = batch_size * rng.integer(2, 5)
    return {"W": rng.normal(m, d), "b": rng.normal(m), "X": rng.normal(n, d), "Y": rng.normal(n, m),
            "batch_size": batch_size}


q4 = QuestionCheck(
    call="average_probe(minibatch_gradient_average, W, b, X, Y, batch_size)",
    driver=AVERAGE_DRIVER,
    rule=Rule(rtol=1e-5, atol=1e-5),
    cases=(
        Case("the notebook's 12 examples in batches of 4", _example_average),
        Case("random model and data", _random_average, hidden=True),
        Case("random model and data", _random_average, hidden=True),
    ),
    mistakes=(
        Mistake("sum instead of mean over batches: divide by the number of batches",
                _combine("sum")),
        Mistake("only the last batch's gradient is returned: average over all batches",
                _combine("last")),
        Mistake("only the first batch's gradient is returned: average over all batches",
                _combine("first")),
        Mistake("gradients accumulated across batches without clearing: the stale .grad the model "
                "already had was included; zero the gradients first (model.zero_grad())",
                _combine("stale")),
        Mistake("gradients accumulated across batches without clearing: each batch's .grad still "
                "held the earlier batches' gradients; zero them before every backward",
                _combine("running")),
        Mistake("gradients accumulated across batches without clearing: zero them before every "
                "backward, not only once",
                _combine("zeroed once")),
    ),
)


CHECKS = {"q1": q1, "q2": q2, "q3": q3, "q4": q4}
