"""Bundled example submissions of ``autograd`` and what grading each must give.

Regenerate the notebooks with ``autograder examples autograd`` after editing this file or
the student notebook. Each wrong variant must lose points on the question it breaks,
keep them on the others, and get the named diagnosis.
"""

from autograder.authoring.variants import HOSTILE_ANSWER, Variant

# w1, the written question a TA grades: a good answer, a partial one (the template's is empty)
GOOD_ANSWER = """
For one sample, y_hat = w0 x0 + w1 x1 + b and L = (y_hat - y)^2, so by the chain rule
dL/dw1 = 2 (y_hat - y) * x1.

```python
torch.manual_seed(0)
model = torch.nn.Linear(2, 1)
x, y = torch.tensor([[1.0, -2.0]]), torch.tensor([[0.5]])
loss = (model(x) - y).pow(2).mean()
loss.backward()
print(2 * (model(x) - y).item() * -2.0, model.weight.grad[0, 1].item())
```
Both print the same value.
"""
PARTIAL_ANSWER = """
dL/dW = (y_hat - y) * x, which is what backward() gives.
"""

VARIANTS = [
    Variant("correct", "every function as the reference solves it, and a good written answer",
            written={"w1": GOOD_ANSWER}),
    Variant("template", "the untouched student notebook", base="template", loses=("q1", "q2", "q3", "q4"),
            diagnosis="NotImplementedError"),
    Variant(
        "q1_sign_error", "abs_loss_grad with the residual's sign flipped",
        solutions={"abs_loss_grad": """
def abs_loss_grad(w, x, y):
    return torch.sign(y - w * x) * x
"""},
        loses=("q1",), diagnosis="sign error",
        written={"w1": PARTIAL_ANSWER},
    ),
    Variant(
        "q2_sum_not_mean", "linear_mse_grads for the summed squared error",
        solutions={"linear_mse_grads": """
def linear_mse_grads(W, b, X, Y):
    R = X @ W.T + b - Y
    return 2 * R.T @ X, 2 * R.sum(dim=0)
"""},
        loses=("q2",), diagnosis="sum instead of mean",
    ),
    Variant(
        "q2_divides_by_n", "linear_mse_grads averaging over the N rows only",
        solutions={"linear_mse_grads": """
def linear_mse_grads(W, b, X, Y):
    G = 2 * (X @ W.T + b - Y) / Y.shape[0]
    return G.T @ X, G.sum(dim=0)
"""},
        loses=("q2",), diagnosis="you divided by N only",
    ),
    Variant(
        "q2_hard_coded_sizes", "linear_mse_grads with the example's N and M written in",
        solutions={"linear_mse_grads": """
def linear_mse_grads(W, b, X, Y):
    G = 2 * (X @ W.T + b - Y) / (4 * 3)
    return G.T @ X, G.sum(dim=0)
"""},
        loses=("q2",), diagnosis="the notebook example's sizes",
    ),
    Variant(
        "q2_transposed_dW", "linear_mse_grads returning X^T G, shape (D, M)",
        solutions={"linear_mse_grads": """
def linear_mse_grads(W, b, X, Y):
    G = 2 * (X @ W.T + b - Y) / Y.numel()
    return X.T @ G, G.sum(dim=0)
"""},
        loses=("q2",), diagnosis="dW is transposed",
    ),
    Variant(
        "q2_db_wrong_axis", "linear_mse_grads summing db over the outputs instead of the rows",
        solutions={"linear_mse_grads": """
def linear_mse_grads(W, b, X, Y):
    G = 2 * (X @ W.T + b - Y) / Y.numel()
    return G.T @ X, G.sum(dim=1)
"""},
        loses=("q2",), diagnosis="db is summed over the wrong axis",
    ),
    Variant(
        "q2_accumulated_twice", "linear_mse_grads via autograd, calling backward twice",
        solutions={"linear_mse_grads": """
def linear_mse_grads(W, b, X, Y):
    W, b = W.clone().requires_grad_(True), b.clone().requires_grad_(True)
    loss = ((X @ W.T + b - Y) ** 2).mean()
    loss.backward(retain_graph=True)
    loss.backward()  # ran the cell twice: the gradients add up
    return W.grad, b.grad
"""},
        loses=("q2",), diagnosis="accumulated twice",
    ),
    Variant(
        "q3_forward_difference", "numerical_gradient with the forward difference",
        solutions={"numerical_gradient": """
def numerical_gradient(f, x, eps=1e-6):
    grad = torch.zeros_like(x)
    for i in range(x.numel()):
        step = torch.zeros_like(x)
        step.view(-1)[i] = eps
        grad.view(-1)[i] = (f(x + step) - f(x)) / eps
    return grad
"""},
        loses=("q3",), diagnosis="forward difference",
    ),
    Variant(
        "q3_modifies_x", "numerical_gradient perturbing x in place without restoring it",
        solutions={"numerical_gradient": """
def numerical_gradient(f, x, eps=1e-6):
    grad = torch.zeros_like(x)
    flat = x.view(-1)
    for i in range(x.numel()):
        flat[i] += eps
        plus = f(x)
        flat[i] -= 2 * eps
        grad.view(-1)[i] = (plus - f(x)) / (2 * eps)
    return grad
"""},
        loses=("q3",), diagnosis="modified in place and not restored",
    ),
    Variant(
        "q4_ignores_grad_output", "Cubic whose backward returns the local derivative only",
        solutions={"Cubic": """
class Cubic(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return torch.where(x >= 0, x ** 3, torch.zeros_like(x))

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return torch.where(x >= 0, 3 * x ** 2, torch.zeros_like(x))
"""},
        loses=("q4",), diagnosis="ignores grad_output",
    ),
    Variant(
        "q4_wrong_branch", "Cubic whose backward forgets that the derivative is 0 for x < 0",
        solutions={"Cubic": """
class Cubic(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return torch.where(x >= 0, x ** 3, torch.zeros_like(x))

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * 3 * x ** 2
"""},
        loses=("q4",), diagnosis="wrong branch at x < 0",
    ),
    Variant(
        "w1_hostile_html",
        "every function right; a written answer holding a script and event handlers (the review app shows it inert)",
        written={"w1": HOSTILE_ANSWER},
    ),
]
