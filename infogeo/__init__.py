"""infogeo: verification suite for 'The Information of Large Language Model Geometry'."""
import os

__version__ = "0.1.0"

#: The environment that pins each of torch's three CPU kernel libraries to one code path (docs/report.md, "Stable
#: numbers"): ATen's AVX2 kernels instead of its AVX-512 ones, MKL's Conditional Numerical Reproducibility branch
#: for every Intel or compatible x86 CPU (COMPATIBLE: Intel documents the same bits on every such CPU for a fixed
#: thread count), and oneDNN capped at AVX2. The byte-identical rebuild is stated for x86-64 CPUs with AVX2 and FMA.
#: MKL's AVX2 branch would be cheaper but is not the same code on AMD and Intel: under qemu an EPYC and a Haswell
#: gave other weights with MKL_CBWR=AVX2 and the same weights with COMPATIBLE (2026-12-07; ATen and oneDNN at AVX2
#: in both).
TORCH_KERNEL_PINS = {
    "ATEN_CPU_CAPABILITY": "avx2",
    "MKL_CBWR": "COMPATIBLE",
    "ONEDNN_MAX_CPU_ISA": "AVX2",
}


def pin_torch_cpu_kernels() -> None:
    """Set :data:`TORCH_KERNEL_PINS` in the environment, keeping any variable the user set; call before torch loads.

    The kernels torch's libraries pick by machine (AVX2, AVX-512; MKL's and oneDNN's dispatch) differ in their last
    bits, which training and float32 forward passes amplify. Pinned, the report's tables and the mini-Pythia family do
    not depend on which x86-64 CPU with AVX2 and FMA runs them (AVX-512 ones included: they run the AVX2 code). An
    explicit setting is kept (and recorded: :func:`torch_kernel_settings`).
    """
    for name, value in TORCH_KERNEL_PINS.items():
        os.environ.setdefault(name, value)
    # Not a kernel pin (the bits are the same either way; not in the cache key): OpenMP threads that wait for work
    # sleep instead of spinning. On a busy machine spinning threads steal the cores the working ones need: a 26k
    # mini-Pythia training step on 2 threads at load average 14 on 2 cores took 2.2-3.4 s spinning, 44-98 ms passive,
    # the same weights (2026-12-07).
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


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
