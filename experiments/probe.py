"""What the scripts that probe a trained model share: the arguments that pick the model, the lengths and the
examples, and loading it."""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from looped import LoopedTransformer


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
