"""infogeo: verification suite for 'The Information of Large Language Model Geometry'."""
import os

__version__ = "0.1.0"


def pin_torch_cpu_kernels() -> None:
    """Run torch on its generic CPU kernels, unless ``ATEN_CPU_CAPABILITY`` is already set; call before torch loads.

    The vectorized kernels (AVX2, AVX-512) torch picks by machine differ in their last bits, which training and
    float32 forward passes amplify; pinned, the report's tables and the mini-Pythia family do not depend on the
    machine's vector extensions (docs/report.md, "Stable numbers"). An explicit setting is kept.
    """
    os.environ.setdefault("ATEN_CPU_CAPABILITY", "default")
