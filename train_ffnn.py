"""``python train_ffnn.py CONFIG [options]``: the same as ``nnrun train``, for users of the course scripts."""
import sys

from cli import main

if __name__ == "__main__":
    main(["train", *sys.argv[1:]], prog_name="train_ffnn.py")
