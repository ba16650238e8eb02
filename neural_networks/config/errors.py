"""Exceptions that the command line turns into one-line messages and exit codes."""
import reprlib

_SHORT = reprlib.Repr()
_SHORT.maxlevel, _SHORT.maxstring, _SHORT.maxother, _SHORT.maxlong = 2, 60, 60, 40
_SHORT.maxlist = _SHORT.maxtuple = _SHORT.maxdict = 6


def shown(value):
    """``repr(value)`` cut short (``[1, 2, ...]``): an error message never spells out a huge value,
    and never spends long building one (a YAML alias can make a small file name a vast structure)."""
    return _SHORT.repr(value)


class ConfigError(ValueError):
    """A bad config key, value or input file: the user's to fix (exit code 2).

    ``path`` is the dotted config key the error is about (``model.layers.0.n_out``);
    :meth:`within` prefixes it as the error travels up through nested sections.
    """

    def __init__(self, message, path=""):
        super().__init__(message)
        self.message = message
        self.path = path

    def within(self, prefix):
        """The same error, with ``prefix`` put in front of its key path."""
        path = f"{prefix}.{self.path}" if self.path else str(prefix)
        return ConfigError(self.message, path)

    def __str__(self):
        return f"{self.path}: {self.message}" if self.path else self.message


class DamagedFile(ConfigError):
    """A file of a run folder that cannot be read back (truncated, garbage, edited into nonsense): exit 2,
    the message naming the file. Commands over many runs skip such a run and mark it."""

    def __init__(self, path, reason):
        super().__init__(f"{path} is damaged: {reason}")
        self.file = path


class TrainingError(RuntimeError):
    """A failure while running, such as a diverged loss (exit code 1)."""
