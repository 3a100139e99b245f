"""The machine a run is made on: what two runs must share to give the same bytes.

Float kernels differ between CPU models and instruction sets, and a thread count changes how
work is split and so how sums round; a torch version can change kernels. Same values here,
same params, same numbers; otherwise the results agree only to within the seed spread.
"""
from __future__ import annotations

import platform
from pathlib import Path

import torch

from ganaug.pipeline.runtime import cpu_has_bf16


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo on Linux, else what ``platform`` knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def describe() -> dict[str, object]:
    return {
        "cpu": cpu_model(),
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),  # the kernels torch picks: AVX2, AVX512, ...
        "cpu_bf16": cpu_has_bf16(),  # what precision: auto turns into on the CPU (params.yaml)
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "cuda_device": torch.cuda.get_device_name() if torch.cuda.is_available() else None,
    }
