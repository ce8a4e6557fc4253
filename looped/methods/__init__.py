"""Method registry: the looped model and the paper's baselines, selected by RunConfig.method. A new method is
one module with a `Method` subclass plus one `register_method` line."""

from __future__ import annotations

from looped.methods.base import FixedDepth, FixedLoopModel, Method
from looped.methods.fap_pause import FullAnswerPause
from looped.methods.looped import Looped
from looped.methods.looped_no_injection import LoopedNoInjection
from looped.methods.ntp import NextToken
from looped.methods.ntp_looped import NextTokenLooped
from looped.methods.ntp_pause import NextTokenPause

_REGISTRY: dict[str, Method] = {}


def register_method(method: type[Method]) -> type[Method]:
    """Make a method class available under its `name` (usable as a class decorator)."""
    _REGISTRY[method.name] = method()
    return method


def method_names() -> list[str]:
    return sorted(_REGISTRY)


def get_method(name: str) -> Method:
    if name not in _REGISTRY:
        raise ValueError(f"unknown method {name!r}; choose from: {', '.join(method_names())}")
    return _REGISTRY[name]


for _method in (Looped, LoopedNoInjection, NextToken, NextTokenPause, NextTokenLooped, FullAnswerPause):
    register_method(_method)

__all__ = ["FixedDepth", "FixedLoopModel", "Method", "get_method", "method_names", "register_method"]
