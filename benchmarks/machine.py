"""Machine facts that decide what the figures mean: CPU, thread pools, the BLAS kernel OpenBLAS chose
(OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE change it), versions and load."""
import os
import platform
from importlib import metadata

BLAS_ENV = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _version(package: str):
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def load_average():
    return list(os.getloadavg())


def _pools() -> list:
    from threadpoolctl import threadpool_info

    return [{key: pool.get(key) for key in ("internal_api", "architecture", "num_threads", "version")}
            for pool in threadpool_info()]


def facts(frameworks=()) -> dict:
    """What this process sees: called in each worker, so it reports the pools the timed code used."""
    info = {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": _version("numpy"),
        "torch": _version("torch"),
        "env": {name: os.environ.get(name) for name in BLAS_ENV},
    }
    if "torch" in frameworks:
        import torch

        info["torch_threads"] = torch.get_num_threads()
    if "npnn" in frameworks:
        import npnn  # so the pools listed are those of a process that has imported npnn

        if hasattr(npnn, "get_num_threads"):
            info["npnn_threads"] = npnn.get_num_threads()
    info["threadpools"] = _pools()  # NOTE: after the imports above, so torch's own pools show too
    return info
