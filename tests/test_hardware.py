"""What skae reads of the machine: CPU flags and model, bfloat16, thread budgets."""

import io
import os

import keras
import pytest
from _fresh import run_fresh

from skae import _hardware

CPUINFO = """processor\t: 0
vendor_id\t: AuthenticAMD
model name\t: AMD EPYC 9R14 96-Core Processor
flags\t\t: fpu sse2 avx2 avx512f avx512_bf16
bogomips\t: 5200.00

processor\t: 1
model name\t: AMD EPYC 9R14 96-Core Processor
flags\t\t: fpu sse2 avx2 avx512f avx512_bf16
"""


@pytest.fixture
def cpuinfo(monkeypatch):
    """Make /proc/cpuinfo read as ``text`` (None: unreadable) for _hardware."""

    def use(text):
        def fake_open(path, *args, **kwargs):
            assert path == "/proc/cpuinfo"
            if text is None:
                raise FileNotFoundError(path)
            return io.StringIO(text)

        monkeypatch.setattr(_hardware, "open", fake_open, raising=False)
        _hardware.cpu_flags.cache_clear()

    yield use
    _hardware.cpu_flags.cache_clear()


def test_cpu_flags_and_model_come_from_the_first_processor(cpuinfo):
    cpuinfo(CPUINFO)
    assert _hardware.cpu_flags() == {"fpu", "sse2", "avx2", "avx512f", "avx512_bf16"}
    assert _hardware.cpu_model() == "AMD EPYC 9R14 96-Core Processor"
    assert _hardware.cpu_has_bfloat16()


@pytest.mark.parametrize(
    "flags, native",
    [("amx_bf16 amx_tile", True), ("avx512_bf16", True), ("avx512f avx2", False)],
)
def test_bfloat16_needs_amx_or_avx512_bf16(cpuinfo, flags, native):
    cpuinfo(f"flags\t: {flags}\n")
    assert _hardware.cpu_has_bfloat16() is native


def test_no_cpuinfo_means_no_flags_and_the_platforms_word(cpuinfo, monkeypatch):
    import platform

    cpuinfo(None)
    assert _hardware.cpu_flags() == frozenset()
    assert not _hardware.cpu_has_bfloat16()
    monkeypatch.setattr(platform, "processor", lambda: "")
    monkeypatch.setattr(platform, "machine", lambda: "aarch64")
    assert _hardware.cpu_model() == "aarch64"
    monkeypatch.setattr(platform, "processor", lambda: "arm")
    assert _hardware.cpu_model() == "arm"


def test_cpuinfo_without_the_lines_asked_for(cpuinfo, monkeypatch):
    import platform

    cpuinfo("processor\t: 0\nvendor_id\t: GenuineIntel\n")
    assert _hardware.cpu_flags() == frozenset()
    monkeypatch.setattr(platform, "processor", lambda: "x86_64")
    assert _hardware.cpu_model() == "x86_64"


@pytest.mark.parametrize(
    "gpu, backend, cpu_bfloat16, native",
    [
        ((8, 0), "jax", False, True),  # Ampere: every backend
        ((9, 0), "torch", False, True),
        ((7, 5), "tensorflow", True, False),  # Turing: no; the GPU decides
        (None, "tensorflow", True, True),  # oneDNN's bfloat16 kernels
        (None, "tensorflow", False, False),
        (None, "jax", True, False),  # JAX's and PyTorch's CPU kernels: float32
        (None, "torch", True, False),
    ],
)
def test_native_bfloat16_by_device_and_backend(
    monkeypatch, gpu, backend, cpu_bfloat16, native
):
    monkeypatch.setattr(_hardware, "_gpu_compute_capability", {backend: gpu}.get)
    monkeypatch.setattr(_hardware, "cpu_has_bfloat16", lambda: cpu_bfloat16)
    assert _hardware.native_bfloat16(backend) is native


def test_no_gpu_where_none_is_visible(monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    assert _hardware._gpu_compute_capability(keras.backend.backend()) is None


def _backends_with_a_gpu(monkeypatch, capability):
    """TensorFlow, JAX and PyTorch modules that see a CPU and then one GPU of
    ``capability`` ((major, minor); "unknown": the GPU does not say; None: none)."""
    import sys
    from types import SimpleNamespace

    known = isinstance(capability, tuple)
    details = {"compute_capability": capability} if known else {}
    tf = SimpleNamespace(
        config=SimpleNamespace(
            list_physical_devices={"GPU": ["GPU:0"] if capability else []}.get,
            experimental=SimpleNamespace(get_device_details={"GPU:0": details}.get),
        )
    )
    gpu = SimpleNamespace(platform="gpu")
    if known:
        gpu.compute_capability = "{}.{}".format(*capability)
    cpu = SimpleNamespace(platform="cpu", compute_capability="9.9")
    jax = SimpleNamespace(devices=lambda: [cpu, gpu] if capability else [cpu])
    torch = SimpleNamespace(
        cuda=SimpleNamespace(
            is_available=lambda: bool(capability),
            get_device_capability={0: capability}.__getitem__,
        )
    )
    for name, module in [("tensorflow", tf), ("jax", jax), ("torch", torch)]:
        monkeypatch.setitem(sys.modules, name, module)
    monkeypatch.setattr(_hardware, "keep_to_thread_budget", lambda: None)
    monkeypatch.setattr(_hardware, "cpu_has_bfloat16", lambda: False)
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)


@pytest.mark.parametrize("backend", ["tensorflow", "jax", "torch"])
@pytest.mark.parametrize("capability", [(8, 6), (7, 5), None])
def test_each_backend_gives_the_compute_capability_of_its_first_gpu(
    monkeypatch, backend, capability
):
    _backends_with_a_gpu(monkeypatch, capability)
    assert _hardware._gpu_compute_capability(backend) == capability
    assert _hardware.native_bfloat16(backend) is bool(
        capability and capability >= (8, 0)
    )
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")  # the GPU hidden: it is not asked
    assert _hardware._gpu_compute_capability(backend) is None


@pytest.mark.parametrize("backend", ["tensorflow", "jax"])
def test_a_gpu_that_does_not_say_its_capability_counts_as_0_0(monkeypatch, backend):
    _backends_with_a_gpu(monkeypatch, "unknown")
    assert _hardware._gpu_compute_capability(backend) == (0, 0)


@pytest.mark.core
def test_this_machine_has_no_gpu_for_this_backend():
    # The machines that run this suite have none: a CPU is reported as such.
    assert _hardware._gpu_compute_capability(keras.backend.backend()) is None
    assert _hardware._gpu_compute_capability("no such backend") is None


def thread_settings():
    """This backend's thread settings after :func:`keep_to_thread_budget`, and
    the CPU mask left to the process; run in a fresh interpreter, as a
    backend takes a thread budget only before it starts."""
    _hardware.keep_to_thread_budget()
    backend = keras.backend.backend()
    settings = {"mask": len(os.sched_getaffinity(0))}
    if backend == "tensorflow":
        import tensorflow as tf

        settings["intra_op"] = tf.config.threading.get_intra_op_parallelism_threads()
        settings["inter_op"] = tf.config.threading.get_inter_op_parallelism_threads()
    elif backend == "torch":
        import torch

        settings["threads"] = torch.get_num_threads()
    return settings


@pytest.mark.core
@pytest.mark.parametrize("budget", ["1", "", "many"])
def test_the_thread_budget_is_passed_to_the_backend(budget):
    settings = run_fresh(
        "test_hardware", "thread_settings", env={"OMP_NUM_THREADS": budget}
    )
    # the mask is given back whole (JAX starts its client under a narrower one)
    assert settings["mask"] == len(os.sched_getaffinity(0))
    if budget != "1":  # no budget, or not a number: the backend's own choice
        assert settings.get("intra_op", 0) == settings.get("inter_op", 0) == 0
        return
    backend = keras.backend.backend()
    if backend == "tensorflow":
        assert settings["intra_op"] == settings["inter_op"] == 1
    elif backend == "torch":
        assert settings["threads"] == 1
