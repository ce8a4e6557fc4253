"""Typed run configuration. Recipes are YAML files of these fields; the command line overrides any of them."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from looped.model import ModelConfig
from looped.training.loss import HaltingTarget

RECIPES = Path(__file__).resolve().parent.parent / "configs"


@dataclass
class CurriculumConfig:
    """Which input sizes are trained on. Sizes are drawn uniformly from min_length to the current maximum.

    fixed: the maximum grows by one every `interval` steps (the reference).
    adaptive: it grows by one once oracle accuracy at the current maximum reaches `threshold`.

    `focus` f > 0 draws a share f of the sizes at the current maximum and the rest uniformly as above. Only the
    longest rows show the block answer slots at new positions; drawn uniformly, they are one batch in `max`.
    """

    kind: Literal["fixed", "adaptive"] = "adaptive"
    min_length: int = 1
    start_length: int = 1
    max_length: int = 20
    interval: int = 500
    threshold: float = 0.98
    check_every: int = 50
    check_samples: int = 128
    focus: float = 0.0

    def __post_init__(self) -> None:
        if not 1 <= self.min_length <= self.start_length <= self.max_length:
            raise ValueError(
                "curriculum needs 1 <= min_length <= start_length <= max_length, got "
                f"{self.min_length}, {self.start_length}, {self.max_length}"
            )
        if self.interval < 1 or self.check_every < 1 or self.check_samples < 1:
            raise ValueError("curriculum interval, check_every and check_samples must be >= 1")
        if not 0.0 < self.threshold <= 1.0:
            raise ValueError(f"curriculum.threshold must be in (0, 1], got {self.threshold}")
        if not 0.0 <= self.focus <= 1.0:
            raise ValueError(f"curriculum.focus must be in [0, 1], got {self.focus}")


@dataclass
class TrainConfig:
    """Optimisation and supervision. The learning rate is constant while the curriculum grows (but for the cuts
    of `lr_stall_steps`), then decays to zero along a cosine over `decay_steps` (started early enough to end by
    `max_steps`; a decay as long as the run starts at step 0, and `looped train` warns of it).

    `extra_supervised_steps` k > 0 also supervises each example at every step T(n)+1 .. T(n)+k, so that
    the answer becomes a fixed point of the loop, once the curriculum's maximum length has reached
    `extra_supervision_from` (the algorithm is learnt faster on short inputs without it).

    `supervised_multiples` [m, ...] also supervises the same answer at step m·T(n), from the same curriculum
    length on. The loop must then stay right over m times as many steps without being shown a longer input:
    for parity's learnt algorithm, a phase that turns by pi c/n per step (results/parity/experiments/
    README.md, section 4), m = 3 asks a turn three times as exact as T(n) alone does, and an odd m leaves that
    algorithm's answer unchanged (an even m would flip it). Measured there (section 15): every seed >= 0.999
    at n = 40, but mixed at n = 60, for 2.3-2.7 times the training time.

    A model with a halting head (model.halting_head) is also asked "stop here?" at every step 1 .. T(n) +
    `halting_steps_past`, with weight `halting_weight`, from the same curriculum length on: yes at T(n) only
    (`halting_target` "at") or from T(n) on ("from"). `halting_detached` trains the head alone, as a probe of
    the states (the loop gets no gradient from it). The defaults are the best found on parity (see
    results/parity/experiments/README.md, section 7); a larger weight slows or undoes the curriculum.

    `label_smoothing` caps how sure the answer may be. Without it a model lowers its loss by scaling its
    read-out up, and the loss stops asking for a more exact state once every training length is right; with
    it only a more exact state helps. On parity that carried the answer to twice the training length for
    more seeds (section 8 of the same file).

    `unsure_weight` w > 0 adds w times the mean KL divergence from uniform of the answer read out at every step
    before T(n). Nothing trains those read-outs otherwise, and a short input asks for a sure answer at the
    step where a longer one is still unfinished, so a model is often sure and wrong there, which is what
    maximum-confidence stopping picks (parity: results/parity/experiments/README.md, "token shift").

    `left_fillers` m > 0 puts a random number (0 .. m, one draw per batch) of unsupervised pad tokens in front
    of every training prompt. The input sizes stay those of the curriculum, but the answer is written up to m
    positions further on, so positions beyond the longest training row are trained on; evaluation rows have
    none. For tasks whose answer does not depend on the share of each token in the prompt (copy, not parity).

    `right_fillers` m > 0 appends a random number (0 .. m, one draw per batch) of pad slots after every training
    row, supervised as more end tokens (the answer region's trailing slots are). The prompt and the answer keep
    their positions; the block is trained to say "past the answer" at positions beyond the longest training
    row. The loss is a mean over supervised slots, so the extra slots weigh the answer down a little.

    `data_options` are task options for the training examples alone, over the run's `task_options`: the
    curriculum's checks, validation and every evaluation draw from the task as configured. They shift what is
    trained on without changing what is measured (unique set: `{alphabet: varied}`, rows with repeats).

    `lr_stall_steps` s > 0 multiplies the learning rate by `lr_stall_factor` whenever the curriculum has not grown
    for s steps (counted from its last growth or the last cut), until it is complete; the cosine decay then
    starts from the rate reached. A rate that suits short inputs can be too high for the longest ones: on
    copy at lr 1e-3 one run waited 4,000 steps at n = 18 and grew 150 steps after its decay began
    (results/copy/experiments/README.md, "start-token/"). The cuts stop at `lr_stall_floor` times `lr` (0: no
    floor), so that a run which stalls often keeps a rate at which its curriculum can still grow.

    `adam_beta2` is AdamW's second-moment decay (PyTorch's default 0.999). A lower value (0.95, as in many
    Transformer recipes) lets the step size follow a gradient that suddenly grows, instead of the stale
    average of the last thousand steps. On parity a screen put every seed above 0.99 at n = 40 but the rerun did
    not (1.0 / 0.987 / 1.0); on copy it did not stop the loss spikes (results/parity/experiments/README.md, section 13).

    `ema_decay` d keeps an exponential moving average of the weights (each step: d times the average plus
    1 - d times the weights); the average is what is validated, checkpointed and evaluated. With
    `ema_steers_curriculum` the curriculum's checks measure it too, for a check that hovers just under the
    threshold because of the optimizer's noise rather than of what is still unlearnt. On unique set, where the
    check sits at 0.9-0.97 for thousands of steps, it did not make the curriculum grow sooner: there the
    plateau is learning, not noise (results/unique_set/experiments/README.md, "ema-gate-s0/"). On copy it did:
    with decay 0.99 the weak seed's curriculum completed at step 7,050 instead of 10,000 (results/copy/README.md),
    and the copy recipe uses it. On addition it did not either (results/addition/experiments/README.md,
    "ema-gate-lr1e-3-s0/").

    Every `eval_every` steps the model is scored on `eval_samples` fresh examples at each of `val_lengths` with
    each of `val_stopping`; `best/` keeps the model with the highest mean, where any model taken once the
    curriculum has reached its final maximum outranks every model before it. Validating on the rule that will be
    reported (`confidence-per-example`) keeps a model whose loop settles on its answer, which oracle accuracy
    does not ask for; on copy it kept the same checkpoints for two seeds of three and a better one for the third
    (results/copy/experiments/README.md, "valpe-s0/").

    `restart_after` s > 0 abandons a run whose curriculum has not completed after s steps and starts it again
    from step 0, with fresh weights (those of `init_from`, if set) and data drawn from a new stream of the run's
    seed, at most `max_restarts` times; the abandoned attempt's log is kept as metrics-attempt<k>.jsonl and its
    training time counts in the run's. Some seeds learn the training lengths one at a time by something that does
    not extrapolate, and their curriculum is slow for it: on copy the three runs whose validation at n = 30
    reached 0.93-1.0 completed it by steps 1,275-1,400, the three where it read 0.0 to step 2,000 were at n = 14-16
    then (results/copy/README.md). The test is on training lengths only, so a restart never looks at the lengths
    a run is evaluated on.

    `init_from` starts the weights from a trained model (a model folder or run directory) of the same task,
    method and model settings; the optimizer, schedule and curriculum start afresh, so fine-tuning a model that has
    seen every length is `--train.init_from DIR --curriculum.start_length 20` (its decay then starts at once)."""

    max_steps: int = 20000
    batch_size: int = 64
    lr: float = 3e-4
    weight_decay: float = 0.01
    adam_beta2: float = 0.999
    warmup_steps: int = 100
    decay_steps: int = 2000
    lr_stall_steps: int = 0
    lr_stall_factor: float = 0.5
    lr_stall_floor: float = 0.0
    grad_clip: float = 1.0
    label_smoothing: float = 0.0
    left_fillers: int = 0
    right_fillers: int = 0
    data_options: dict[str, Any] = field(default_factory=dict)
    restart_after: int = 0
    max_restarts: int = 2
    init_from: str | None = None
    ema_decay: float | None = None
    ema_steers_curriculum: bool = False
    batching: Literal["per-size", "mixed"] = "per-size"
    extra_supervised_steps: int = 0
    extra_supervision_from: int = 1
    unsure_weight: float = 0.0
    supervised_multiples: list[int] = field(default_factory=list)
    halting_steps_past: int = 8
    halting_weight: float = 0.1
    halting_target: HaltingTarget = "at"
    halting_detached: bool = False
    eval_every: int = 250
    eval_samples: int = 256
    val_lengths: list[int] = field(default_factory=lambda: [25])
    val_stopping: list[str] = field(default_factory=lambda: ["oracle", "confidence-per-example"])
    log_every: int = 25

    def __post_init__(self) -> None:
        positive = ("max_steps", "batch_size", "decay_steps", "eval_every", "eval_samples", "log_every")
        for name in positive:
            if getattr(self, name) < 1:
                raise ValueError(f"train.{name} must be >= 1, got {getattr(self, name)}")
        if self.lr <= 0:
            raise ValueError(f"train.lr must be > 0, got {self.lr}")
        non_negative = (
            "warmup_steps",
            "lr_stall_steps",
            "restart_after",
            "max_restarts",
            "extra_supervised_steps",
            "halting_steps_past",
            "left_fillers",
            "right_fillers",
        )
        for name in non_negative:
            if getattr(self, name) < 0:
                raise ValueError(f"train.{name} must be >= 0, got {getattr(self, name)}")
        if any(multiple < 2 for multiple in self.supervised_multiples):
            raise ValueError(f"train.supervised_multiples must all be >= 2, got {self.supervised_multiples}")
        if self.unsure_weight < 0:
            raise ValueError(f"train.unsure_weight must be >= 0, got {self.unsure_weight}")
        if self.halting_weight < 0:
            raise ValueError(f"train.halting_weight must be >= 0, got {self.halting_weight}")
        if not 0.0 < self.lr_stall_factor <= 1.0:
            raise ValueError(f"train.lr_stall_factor must be in (0, 1], got {self.lr_stall_factor}")
        if not 0.0 <= self.lr_stall_floor <= 1.0:
            raise ValueError(f"train.lr_stall_floor must be in [0, 1], got {self.lr_stall_floor}")
        if not 0.0 < self.adam_beta2 < 1.0:
            raise ValueError(f"train.adam_beta2 must be in (0, 1), got {self.adam_beta2}")
        if not 0.0 <= self.label_smoothing < 1.0:
            raise ValueError(f"train.label_smoothing must be in [0, 1), got {self.label_smoothing}")
        if self.ema_decay is not None and not 0.0 < self.ema_decay < 1.0:
            raise ValueError(f"train.ema_decay must be in (0, 1), got {self.ema_decay}")
        if self.ema_steers_curriculum and self.ema_decay is None:
            raise ValueError("train.ema_steers_curriculum needs an average: set train.ema_decay too, e.g. 0.99")
        if not self.val_lengths:
            raise ValueError("train.val_lengths needs at least one length")


@dataclass
class RunConfig:
    """Everything that defines a training run; saved beside its checkpoints.

    `method` names the model and training scheme (looped.methods: the looped model or a baseline). The
    baseline sizes are CPU-affordable choices, not the reference's: `baseline_depth` layers for the
    fixed-depth baselines (ntp, ntp-pause, fap-pause; the reference used a decoder 20x deeper than the looped
    block), `baseline_loops` fixed iterations of the weight-tied block for ntp-looped, and `pause_tokens`
    pause tokens for the pause baselines.
    """

    task: str = "parity"
    task_options: dict[str, Any] = field(default_factory=dict)
    method: str = "looped"
    seed: int = 0
    model: ModelConfig = field(default_factory=ModelConfig)
    curriculum: CurriculumConfig = field(default_factory=CurriculumConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    confidence_extra_steps: int = 20
    baseline_depth: int = 4
    baseline_loops: int = 8
    pause_tokens: int = 4

    def __post_init__(self) -> None:
        for name in ("baseline_depth", "baseline_loops"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.pause_tokens < 0:
            raise ValueError(f"pause_tokens must be >= 0, got {self.pause_tokens}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunConfig:
        data = dict(data)
        return cls(
            model=ModelConfig(**data.pop("model", {})),
            curriculum=CurriculumConfig(**data.pop("curriculum", {})),
            train=TrainConfig(**data.pop("train", {})),
            **data,
        )
