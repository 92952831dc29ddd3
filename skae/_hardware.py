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


def cpu_has_bfloat16():
    """Whether the CPU computes bfloat16 natively (AMX or AVX512-BF16)."""
    return bool(cpu_flags() & {"amx_bf16", "avx512_bf16"})


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


@functools.cache
def keep_to_thread_budget():
    """Give the Keras backend the thread budget that joblib and Dask give this process.

    Inside a loky worker of ``n_jobs=k``, or a Dask worker, OMP_NUM_THREADS
    holds this process's share of the cores. NumPy's BLAS honours it;
    TensorFlow and PyTorch do not, and would start one thread per core in
    every worker. TensorFlow accepts the setting only before its runtime
    starts, and JAX's CPU client sizes its thread pool from the process's
    CPU affinity when it starts (no XLA flag limits it): so every skae
    module that builds or runs Keras models calls this at its import, before
    any model exists. JAX's client starts under a mask of that many cores,
    and the mask is given back at once, so its threads may still run on any
    core. Runs once per process.
    """
    limit = os.environ.get("OMP_NUM_THREADS", "")
    if not limit.isdigit():
        return
    import keras

    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        try:
            tf.config.threading.set_intra_op_parallelism_threads(int(limit))
            tf.config.threading.set_inter_op_parallelism_threads(int(limit))
        except RuntimeError:  # the user's own code started the runtime first
            pass
    elif backend == "torch":
        import torch

        torch.set_num_threads(int(limit))
    elif backend == "jax" and hasattr(os, "sched_getaffinity"):
        mask = os.sched_getaffinity(0)
        if len(mask) > int(limit) > 0:
            import jax

            os.sched_setaffinity(0, sorted(mask)[: int(limit)])
            try:
                jax.devices()  # the CPU client starts, sizing its threads
            finally:
                os.sched_setaffinity(0, mask)


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
    return backend == "tensorflow" and cpu_has_bfloat16()


def _gpu_compute_capability(backend):
    """(major, minor) of the first GPU the backend sees, or None on the CPU."""
    if os.environ.get("CUDA_VISIBLE_DEVICES") == "":
        return None
    keep_to_thread_budget()  # asking for devices starts the runtime
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
