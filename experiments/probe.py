"""What the scripts that probe a trained model share: the arguments that pick the model, the lengths and the
examples, and loading it."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path

import torch

from looped import LoopedTransformer
from looped.evaluation import fresh_batches
from looped.tasks import Batch


def probe_parser(doc: str | None, lengths: str, samples: int, seed: int, samples_help: str | None = None):
    """--checkpoint, --lengths, --samples, --seed, --threads and --out, with this script's defaults."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", required=True, help="a model folder or a run directory")
    parser.add_argument("--lengths", default=lengths, help="comma-separated input sizes")
    parser.add_argument("--samples", type=int, default=samples, help=samples_help)
    parser.add_argument("--seed", type=int, default=seed)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path, required=True)
    return parser


def load_probed(args: argparse.Namespace) -> LoopedTransformer:
    torch.set_num_threads(args.threads)
    return LoopedTransformer.from_pretrained(args.checkpoint)


@torch.no_grad()
def predicted_batches(
    model: LoopedTransformer, length: int, samples: int, stopping: str, seed: int
) -> Iterator[tuple[Batch, torch.Tensor]]:
    """Fresh examples of one length with the model's predicted tokens under a stopping rule, 250 rows at a time."""
    rule = model.stopping_rule(stopping)
    for batch in fresh_batches(model.task, length, samples, 250, seed, model.device):
        yield batch, model.method.predict(model.model, batch, rule).tokens
