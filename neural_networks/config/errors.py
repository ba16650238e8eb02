"""Exceptions that the command line turns into one-line messages and exit codes."""


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


class TrainingError(RuntimeError):
    """A failure while running, such as a diverged loss (exit code 1)."""
