"""What Triton 3.6 needs from torch 2.x, for torch 1.13 (Debian's python3-torch).

TRITON_INTERPRET=1: Triton's interpreter copies kernel arguments through
`Tensor.untyped_storage()` (torch >= 2.0). On torch 1.13 `activate()` adds that method, returning
the tensor's untyped storage (`storage()._untyped()`), only when the interpreter is on and the
method is missing, so nothing changes for other users of torch."""
import os


def interpreter_on():
    return os.environ.get("TRITON_INTERPRET", "0").lower() in ("1", "true", "on", "yes")


def install_interpreter_shims():
    """Adds torch.Tensor.untyped_storage on torch < 2 when TRITON_INTERPRET=1. Returns True if added."""
    if not interpreter_on():
        return False
    try:
        import torch
    except ImportError:
        return False
    if hasattr(torch.Tensor, "untyped_storage"):
        return False

    def untyped_storage(self):
        s = self.storage()
        return s._untyped() if hasattr(s, "_untyped") else s

    torch.Tensor.untyped_storage = untyped_storage
    return True
