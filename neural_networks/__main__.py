"""``python -m neural_networks ...``: the ``nnrun`` command, for an environment without its script."""
from cli import main

if __name__ == "__main__":
    main(prog_name="nnrun")
