"""What the machine computes natively, for choices made by detection."""

import functools
import os


@functools.cache
def cpu_flags():
    """The CPU's feature flags, from /proc/cpuinfo (empty where there is none)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return frozenset(line.split(":", 1)[1].split())
    except OSError:
        pass
    return frozenset()


def cpu_model():
    """The CPU's model name, as /proc/cpuinfo gives it, or the platform's word."""
    import platform

    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def native_bfloat16(backend):
    """Whether ``backend`` computes bfloat16 convolutions natively here.

    GPUs from NVIDIA's Ampere generation on (compute capability 8.0) do, on
    every backend. On the CPU, TensorFlow's oneDNN kernels do on cores with
    AMX or AVX512-BF16 (Intel Sapphire Rapids and later, AMD Zen 4 and
    later); JAX's and PyTorch's CPU kernels were not measured faster, so
    they keep float32.
    """
    capability = _gpu_compute_capability(backend)
    if capability is not None:
        return capability >= (8, 0)
    return backend == "tensorflow" and bool(
        cpu_flags() & {"amx_bf16", "avx512_bf16"}
    )


def _gpu_compute_capability(backend):
    """(major, minor) of the first GPU the backend sees, or None on the CPU."""
    if os.environ.get("CUDA_VISIBLE_DEVICES") == "":
        return None
    if backend == "tensorflow":
        import tensorflow as tf

        gpus = tf.config.list_physical_devices("GPU")
        if not gpus:
            return None
        details = tf.config.experimental.get_device_details(gpus[0])
        return tuple(details.get("compute_capability", (0, 0)))
    if backend == "jax":
        import jax

        gpus = [d for d in jax.devices() if d.platform == "gpu"]
        if not gpus:
            return None
        major, minor = str(getattr(gpus[0], "compute_capability", "0.0")).split(".")
        return int(major), int(minor)
    if backend == "torch":
        import torch

        if not torch.cuda.is_available():
            return None
        return tuple(torch.cuda.get_device_capability(0))
    return None
