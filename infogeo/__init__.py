"""infogeo: verification suite for 'The Information of Large Language Model Geometry'."""
import os

__version__ = "0.1.0"

#: The environment that pins each of torch's three CPU kernel libraries to one code path (docs/report.md,
#: "Stable numbers"): ATen's generic kernels instead of its AVX2/AVX-512 ones, MKL's Conditional Numerical
#: Reproducibility branch for every Intel or compatible x86 CPU (its documented promise: the same bits on every
#: such CPU for a fixed thread count), and oneDNN capped at SSE4.1, which every x86-64 CPU since 2008 has.
TORCH_KERNEL_PINS = {
    "ATEN_CPU_CAPABILITY": "default",
    "MKL_CBWR": "COMPATIBLE",
    "ONEDNN_MAX_CPU_ISA": "SSE41",
}


def pin_torch_cpu_kernels() -> None:
    """Set :data:`TORCH_KERNEL_PINS` in the environment, keeping any variable the user set; call before torch loads.

    The kernels torch's libraries pick by machine (AVX2, AVX-512; MKL's and oneDNN's dispatch) differ in their last
    bits, which training and float32 forward passes amplify. Pinned, the report's tables and the mini-Pythia family do
    not depend on the machine's vector extensions, at a cost: MKL's reproducible branch is about 3x (float32) to 6x
    (float64) slower on large products. An explicit setting is kept (and recorded: :func:`torch_kernel_settings`).
    """
    for name, value in TORCH_KERNEL_PINS.items():
        os.environ.setdefault(name, value)


def torch_kernel_settings() -> dict[str, str]:
    """The torch version and the kernel variables of :data:`TORCH_KERNEL_PINS` as this process has them.

    "unset" marks a variable left to the machine. Imports nothing heavy (the version comes from the installed
    package's metadata, "absent" without torch), so a cache can be named by it before torch loads.
    """
    from importlib import metadata

    try:
        version = metadata.version("torch")
    except metadata.PackageNotFoundError:
        version = "absent"
    return {"torch": version, **{name: os.environ.get(name, "unset") for name in TORCH_KERNEL_PINS}}
