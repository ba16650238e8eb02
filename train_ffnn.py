"""``python train_ffnn.py CONFIG [options]``: the same as ``nnrun train``, for users of the course scripts."""
from cli import Command, train

if __name__ == "__main__":
    Command("train_ffnn.py", callback=train.callback, params=train.params, help=train.help,
            context_settings={"help_option_names": ["-h", "--help"]}).main(prog_name="train_ffnn.py")
