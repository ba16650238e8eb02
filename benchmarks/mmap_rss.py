"""Peak memory of training on data larger than it: a 2 GB uint8 .npy, memory-mapped.

Writes a 2 GB ``X.npy`` (CIFAR-shaped uint8 images, written block by block) and its labels to a
temporary folder, runs ``nnrun train`` on them for one epoch with a small model, reads the child's
peak resident set size from ``getrusage(RUSAGE_CHILDREN)`` and deletes the files. Target: < 1 GB.

    python benchmarks/mmap_rss.py [--gigabytes 2] [--folder /tmp]
"""
import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAMPLE = (32, 32, 3)  # bytes per sample: 3,072
CONFIG = {"name": "mmap", "seed": 0,
          "data": {"name": "npz", "shape": list(SAMPLE), "batch_size": 256, "preprocess": "standardize",
                   "validation_split": 0.02, "test_split": 0.02},
          "model": {"layers": [{"name": "flatten"}, {"name": "fully_connected", "n_out": 32, "activation": "relu"},
                               {"name": "fully_connected", "activation": "softmax"}]},
          "optimizer": {"name": "adam", "lr": 0.001}, "train": {"epochs": 1}, "log": {"plot": False}}


def write_data(folder, gigabytes, seed=0):
    """X.npy (n, 32, 32, 3) uint8 of about ``gigabytes`` GB, written in small blocks, and y.npy.

    Plain file writes, not a writable memory map: pages written through a map would count in this
    process's peak RSS, which the kernel also reports for a child started by vfork (as subprocess does).
    """
    n = int(gigabytes * 2 ** 30) // int(np.prod(SAMPLE))
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 10, n)
    with open(os.path.join(folder, "X.npy"), "wb") as f:
        np.lib.format.write_array_header_1_0(f, {"descr": "|u1", "fortran_order": False, "shape": (n, *SAMPLE)})
        for start in range(0, n, 2000):
            block = rng.integers(0, 256, (min(2000, n - start), *SAMPLE), dtype=np.uint8)
            block[:, :4, :4, 0] = (y[start:start + len(block), None, None] * 25).astype(np.uint8)  # learnable
            f.write(block.tobytes())
    np.save(os.path.join(folder, "y.npy"), y)
    return n


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gigabytes", type=float, default=2.0)
    parser.add_argument("--folder", default=tempfile.gettempdir())
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="nnrun-mmap-", dir=args.folder)
    try:
        n = write_data(folder, args.gigabytes)
        data = {**CONFIG["data"], "path": os.path.join(folder, "X.npy"), "targets": os.path.join(folder, "y.npy")}
        config = os.path.join(folder, "mmap.yaml")
        with open(config, "w") as f:
            yaml.safe_dump({**CONFIG, "data": data, "log": {**CONFIG["log"], "save_dir": folder}}, f)
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [ROOT, os.environ.get("PYTHONPATH")]))}
        started = time.perf_counter()
        result = subprocess.run([sys.executable, "-m", "cli", "train", config, "--quiet"], cwd=ROOT, env=env,
                                capture_output=True, text=True)
        seconds = time.perf_counter() - started
        if result.returncode:
            sys.exit(f"nnrun train failed: {result.stderr.strip()}")
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2 ** 10  # kB on Linux -> MB
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2 ** 10
        size = os.path.getsize(os.path.join(folder, "X.npy")) / 2 ** 20
        print(f"data: {n:,} uint8 samples of {'x'.join(map(str, SAMPLE))}, X.npy {size:,.0f} MB (memory-mapped)")
        print(f"nnrun train, one epoch: {seconds:.0f} s, peak RSS {peak:,.0f} MB "
              f"({'below' if peak < 1024 else 'ABOVE'} the 1 GB target; this script's own peak {own:,.0f} MB)")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
