"""The ``paperpulse`` command: parse, dispatch, and turn every error into one line.

One-off ``run`` and ``backfill`` call the plain pipeline (``app.pipeline``); they run as
Prefect flows only when asked (``--prefect``) or when a Prefect API is configured
(``PREFECT_API_URL``), so a one-off run neither waits for nor depends on a Prefect server.
Config and arguments are checked before anything heavy is imported, so ``--help`` and usage
errors answer at once. Every ``PaperpulseError`` becomes one line on stderr and a non-zero
exit code (2 for usage and configuration errors).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from paperpulse.cli.commands import UsageError
from paperpulse.cli.parser import build_parser
from paperpulse.core.errors import ConfigError, PaperpulseError

EXIT_ERROR = 1
EXIT_USAGE = 2


def main(argv: Sequence[str] | None = None) -> int:
    from paperpulse.app import signals

    parser = build_parser()
    args = parser.parse_args(argv)
    # SIGTERM/SIGINT: every wait stops, runs are marked, one line, out within 10 s.
    signals.install()
    try:
        result: int = args.handler(args)
        return result
    except (UsageError, ConfigError) as exc:
        print(f"paperpulse: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except PaperpulseError as exc:
        print(f"paperpulse: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        signals.say_stopped()
        return 130
    except signals.Signalled as exc:
        signals.say_stopped()
        return int(exc.code or 1)
    except BrokenPipeError:
        # Output piped into `head` and closed early: not an error; silence the flush at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
