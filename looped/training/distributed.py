"""Data-parallel training under torchrun: the process group, the loss as a module DDP can wrap, batch shards.

Every rank draws the same global batch from the run's shared generator (the same seed and the same draws on
every rank) and trains on its own rows of it. So the input size n, and with it the loop count, is the same
on every rank at every step; a single process sees exactly the union of what the ranks see; and resuming
needs no per-rank state, since the one generator state that rank 0 saves is every rank's state.

    torchrun --nproc_per_node=4 $(which looped) train --task parity ...

Only rank 0 writes (checkpoints, metrics, progress); decisions that steer training (curriculum growth)
are taken on rank 0 and broadcast.
"""

from __future__ import annotations

import atexit
import os
from datetime import timedelta

import torch
import torch.distributed as dist
from torch import nn

from looped.errors import LoopedError
from looped.methods import Method, get_method
from looped.tasks import Batch
from looped.training.loss import Supervision

# Ranks other than 0 wait in the next collective while rank 0 validates and writes checkpoints.
TIMEOUT = timedelta(minutes=60)


def _initialized() -> bool:
    return dist.is_available() and dist.is_initialized()


def world_size() -> int:
    """Processes in the run: the process group's size, else torchrun's WORLD_SIZE, else 1."""
    return dist.get_world_size() if _initialized() else int(os.environ.get("WORLD_SIZE", "1"))


def rank() -> int:
    return dist.get_rank() if _initialized() else int(os.environ.get("RANK", "0"))


def is_main_process() -> bool:
    """True for rank 0 and for any run that is not distributed: the process that writes files and prints."""
    return rank() == 0


def setup(device: torch.device) -> torch.device:
    """Join torchrun's process group when launched with more than one process; returns this rank's device.

    gloo on the CPU, nccl on CUDA, where rank r of a node uses GPU LOCAL_RANK. Nothing happens for one process.
    """
    if world_size() <= 1:
        return device
    if device.type not in ("cpu", "cuda"):
        raise LoopedError(f"distributed training runs on cpu (gloo) or cuda (nccl), not {device.type}")
    if device.type == "cuda":
        local = int(os.environ.get("LOCAL_RANK", "0"))
        if local >= torch.cuda.device_count():
            raise LoopedError(
                f"local rank {local} has no GPU: {torch.cuda.device_count()} CUDA device(s) found; "
                "use at most that many processes per node"
            )
        device = torch.device("cuda", local)
        torch.cuda.set_device(device)
    if not _initialized():
        if device.type == "cuda":
            dist.init_process_group(backend="nccl", device_id=device, timeout=TIMEOUT)
        else:
            dist.init_process_group(backend="gloo", timeout=TIMEOUT)
        atexit.register(_shutdown)
    return device


def _shutdown() -> None:
    if _initialized():
        dist.destroy_process_group()


def _collective_device() -> torch.device:
    if dist.get_backend() == "nccl":
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cpu")


def all_reduce_sum(values: list[float]) -> list[float]:
    """Element-wise sums over all ranks (float64), in one collective."""
    tensor = torch.tensor(values, dtype=torch.float64, device=_collective_device())
    dist.all_reduce(tensor)
    return tensor.tolist()


def broadcast_float(value: float | None, source: int = 0) -> float:
    """Rank `source`'s value on every rank (other ranks pass anything, e.g. None)."""
    tensor = torch.tensor([value if value is not None else 0.0], dtype=torch.float64, device=_collective_device())
    dist.broadcast(tensor, src=source)
    return float(tensor.item())


def barrier() -> None:
    if _initialized():
        dist.barrier()


def shard(batch: Batch, rows: slice) -> Batch:
    """The given rows of every field (the global batch's width is kept, so the loss is unchanged)."""
    return batch.select(rows)


def rank_rows(rank: int, world: int) -> slice:
    """Rank r trains on rows r, r + world, r + 2 world, ...: mixed-size batches, which are sorted by size,
    are spread evenly over the ranks."""
    return slice(rank, None, world)


def supervised_tokens(batch: Batch, supervision: Supervision) -> int:
    """The token count `looped_loss` divides by: every supervised position, once per supervision step."""
    return len(supervision.answer_steps) * int(batch.loss_mask.sum())


class LoopedLoss(nn.Module):
    """The method's training loss (default: the looped model's `looped_loss`) as a module, so that
    DistributedDataParallel sees the forward pass that uses the weights."""

    def __init__(self, model: nn.Module, method: Method | None = None) -> None:
        super().__init__()
        self.model = model
        self.method = method if method is not None else get_method("looped")

    def forward(self, batch: Batch, supervision: Supervision, horizon: int | None = None) -> torch.Tensor:
        return self.method.loss(self.model, batch, supervision, horizon)
