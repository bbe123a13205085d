"""Memory checks before allocation (Sections 3-4 runs): an impossible size is refused with its estimate.

The commands estimate what a step will hold at its peak (the bootstrap refits
of a fit, the activations of a forward pass) from the sizes they are given,
compare it with the memory available now (``MemAvailable`` of ``/proc/meminfo``
on the CPU, ``torch.cuda.mem_get_info`` on a GPU) and refuse, before any work,
a size whose estimate exceeds :data:`SAFETY_FRACTION` of it. The estimates
are upper bounds of the arrays the code allocates (checked against measured
peaks in tests/robustness/test_empirical_memory.py), not of the whole process.
"""
from __future__ import annotations

from theory.validation import available_memory, format_bytes

__all__ = ["SAFETY_FRACTION", "available_bytes", "check_memory", "format_bytes"]

#: A step may plan to use at most this fraction of the memory available when it starts (half, not the 80% of
#: theory.validation.MEMORY_FRACTION that simulate plans for: torch's caching allocator and the model's own
#: buffers hold memory beyond the activations estimated here).
SAFETY_FRACTION = 0.5


def available_bytes(device=None) -> int | None:
    """Free memory of ``device``: a GPU's free memory, or for None or a CPU device the host's (MemAvailable, or
    the room under a container's cgroup limit when smaller: :func:`theory.validation.available_memory`);
    None when unknown."""
    dev_type = getattr(device, "type", None) or (str(device).split(":")[0] if device is not None else "cpu")
    if dev_type == "cuda":
        import torch

        free, _total = torch.cuda.mem_get_info(device)
        return int(free)
    if dev_type != "cpu":
        return None
    return available_memory()


def check_memory(need: float, what: str, hint: str, *, device=None, available: int | None = None) -> None:
    """Raise ``MemoryError``-free ``ValueError`` when ``need`` bytes exceed SAFETY_FRACTION of what is available.

    ``what`` says what was estimated (naming the option that sets it), ``hint`` what to change.
    ``available`` overrides the measured free memory (tests).
    """
    free = available_bytes(device) if available is None else available
    if free is None:
        return
    if need > SAFETY_FRACTION * free:
        where = "GPU" if getattr(device, "type", str(device)).startswith("cuda") else "memory"
        raise ValueError(f"{what} needs about {format_bytes(need)}, more than {SAFETY_FRACTION:.0%} of the "
                         f"{format_bytes(free)} of {where} available now; {hint}")
