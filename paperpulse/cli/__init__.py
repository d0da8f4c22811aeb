"""The ``paperpulse`` command: parse arguments, check the configuration, call a use case."""
