"""Train parity with an extra loss term past or before T(n), then score it: the harness behind the attempts to
make maximum-confidence stopping work per example (results/parity/experiments/README.md, section 4).

Terms, each weighted and averaged over the k steps it covers (k = --steps-past):
  --fixed-point W      cross-entropy of the answer at every step T(n)+1 .. T(n)+k (a soft fixed point)
  --not-wrong W        -log(1 - p(most likely wrong token)) at every step 1 .. T(n)+k except T(n): an answer may
                       be right or unsure there, but not confidently wrong
  --unsure W           cross-entropy to the uniform distribution at every step 1 .. T(n)+k except T(n): the
                       answer may only be confident at T(n), which a model can do if it learns a clock
  --smoothing S        label smoothing S of the answer's own loss at T(n): a model can no longer lower its loss by
                       scaling its read-out up, only by making its state at T(n) more exact

    python experiments/parity_loss_variants.py --name fixed-point-0.1 --fixed-point 0.1 --steps-past 4 \
        --out runs/loss-variants

Trains with configs/parity.yaml (plus `--set key=value` overrides, e.g. --set model.d_model=128) on one thread,
then appends oracle / confidence / per-example-confidence accuracy at n = 25 and 40 (500 fresh examples) to
<out>/results.jsonl. The run directory is a normal looped run: `looped eval` reads it.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch
import torch.nn.functional as F
import yaml

from looped import LoopedTransformer
from looped.config import RECIPES, RunConfig
from looped.evaluation import evaluate_rules, fresh_batches
from looped.methods.looped import Looped
from looped.stopping import get_stopping
from looped.training.trainer import Trainer


def parity_recipe(seed: int, overrides: list[str]) -> RunConfig:
    """configs/parity.yaml with dotted key=value overrides (values read as YAML)."""
    data = yaml.safe_load((RECIPES / "parity.yaml").read_text())
    data["seed"] = seed
    for item in overrides:
        key, _, value = item.partition("=")
        *parents, leaf = key.split(".")
        node = data
        for parent in parents:
            node = node.setdefault(parent, {})
        node[leaf] = yaml.safe_load(value)
    return RunConfig.from_dict(data)


def variant_loss(fixed_point: float, not_wrong: float, unsure: float, smoothing: float, steps_past: int):
    def loss(model, batch, supervision, horizon=None) -> torch.Tensor:
        oracle, mask = batch.steps, batch.loss_mask.float()
        tokens = mask.sum()
        total = torch.zeros(())
        for step, state in enumerate(model.states(batch.inputs, int(oracle.max()) + steps_past), start=1):
            logits = model.head(state)
            log_probs = torch.log_softmax(logits.float(), dim=-1)  # shared by every term
            per_token = F.nll_loss(log_probs.transpose(1, 2), batch.targets, reduction="none") * mask
            cross_entropy = per_token.sum(1)
            smoothed = (1 - smoothing) * cross_entropy + smoothing * (-log_probs.mean(-1) * mask).sum(1)
            total = total + (smoothed * (oracle == step)).sum() / tokens
            past = (step > oracle) & (step <= oracle + steps_past)
            off_target = (step != oracle) & (step <= oracle + steps_past)  # every covered step but T(n)
            if fixed_point:
                total = total + fixed_point * (cross_entropy * past).sum() / tokens / steps_past
            if not_wrong:
                wrong = log_probs.scatter(-1, batch.targets.clamp(min=0).unsqueeze(-1), float("-inf"))
                penalty = -torch.log1p(-wrong.max(-1).values.exp().clamp(max=1 - 1e-6))
                total = total + not_wrong * ((penalty * mask).sum(1) * off_target).sum() / tokens / max(steps_past, 1)
            if unsure:
                flat = (-log_probs.mean(-1) * mask).sum(1)
                total = total + unsure * (flat * off_target).sum() / tokens / (int(oracle.max()) + steps_past - 1)
        return total

    return loss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--name", required=True)
    parser.add_argument("--fixed-point", type=float, default=0.0)
    parser.add_argument("--not-wrong", type=float, default=0.0)
    parser.add_argument("--unsure", type=float, default=0.0)
    parser.add_argument("--smoothing", type=float, default=0.0)
    parser.add_argument("--steps-past", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--set", nargs="*", default=[], help="recipe overrides, key=value (YAML values)")
    parser.add_argument("--out", type=Path, default=Path("runs/loss-variants"))
    args = parser.parse_args()
    torch.set_num_threads(1)
    config = parity_recipe(args.seed, args.set)
    terms = (args.fixed_point, args.not_wrong, args.unsure, args.smoothing)
    Looped.loss = staticmethod(variant_loss(*terms, args.steps_past))
    started = time.perf_counter()
    summary = Trainer(config, args.out / args.name, show_progress=False).run()
    record = {
        "name": args.name,
        **{key: value for key, value in vars(args).items() if key not in ("out", "name")},
        "train_seconds": round(time.perf_counter() - started),
        "curriculum_completed_at": summary["curriculum_completed_at"],
        "best_step": summary["best_step"],
    }
    model = LoopedTransformer.from_pretrained(args.out / args.name)
    names = ("oracle", "confidence", "confidence-per-example")
    rules = [get_stopping(name, config.confidence_extra_steps) for name in names]
    for n in (25, 40):
        batches = fresh_batches(model.task, n, 500, 250, seed=12345, device="cpu")
        for rule, (accuracy, _) in evaluate_rules(model.model, batches, rules).items():
            record[f"{rule}@{n}"] = accuracy
    print(json.dumps(record))
    with (args.out / "results.jsonl").open("a") as log:
        log.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    main()
