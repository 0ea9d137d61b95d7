"""One fine-tuning pass over all-MiniLM-L6-v2's six layers, shared by the training scripts.

The word embeddings stay frozen (the runtime loads them from the installed base model); AdamW
with weight decay 0.01, a linear warm-up over the first ``warmup`` of the steps then a linear
decay, gradients clipped at 1.0, the head at its own learning rate.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any


def fine_tune_pass(
    torch: Any,
    model: Any,
    head: Any,
    plan: Sequence[list[int]],
    loss_of: Callable[[list[int]], Any],
    *,
    rate: float,
    head_rate: float,
    warmup: float,
) -> None:
    """Train ``model`` and ``head`` on each batch of ``plan`` in turn (``loss_of(batch)`` gives
    its loss), printing the running loss every 50 steps; leaves the model in eval mode."""
    for name, param in model.named_parameters():
        param.requires_grad = name.startswith("encoder.")
    params = [p for p in model.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(
        [{"params": params, "lr": rate}, {"params": head.parameters(), "lr": head_rate}],
        weight_decay=0.01,
    )
    warm = max(1, int(warmup * len(plan)))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min((s + 1) / warm, max(0.0, (len(plan) - s) / (len(plan) - warm)))
    )
    model.train()
    started, running = time.perf_counter(), 0.0
    for step, index in enumerate(plan):
        loss = loss_of(index)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimiser.step()
        schedule.step()
        optimiser.zero_grad()
        running = 0.98 * running + 0.02 * loss.item() if step else loss.item()
        if step % 50 == 0:
            elapsed = time.perf_counter() - started
            print(f"step {step}/{len(plan)} loss {running:.3f} {elapsed:.0f} s", flush=True)
    model.eval()
