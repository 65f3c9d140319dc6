"""The part of pum 1.x's Python API that application hooks use."""

from .hook import HookBase

__all__ = ["HookBase"]
