"""``protocolkit workshop PATH``: serve the workshop page for a protocol with Voila, on this computer only."""

from __future__ import annotations

import argparse
import sys


def register(subparsers) -> None:
    """Add the ``workshop`` command."""
    p = subparsers.add_parser(
        "workshop", help="serve the workshop page (partner graph, case stepper, decision log) in a browser, "
                         "offline, on this computer only")
    p.add_argument("path", help="protocol folder or protocol.yaml")
    p.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    p.add_argument("--case", metavar="ID", help="the sample case to open first")
    p.add_argument("--cull-after", type=int, default=600, metavar="SECONDS",
                   help="shut down the Python behind a page closed this long ago (default: 600)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Validate the protocol, start Voila, print the address and serve until Ctrl+C."""
    from ..model.loading import load
    from ..workshop.server import start

    load(args.path)  # a broken protocol is reported here, with file and line, not in the browser
    parameters = {"case": args.case}
    print("Starting the workshop page...", flush=True)
    server = start(args.path, port=args.port or None, parameters=parameters, cull_idle_timeout=args.cull_after)
    try:
        print(f"The workshop page is ready: open {server.url} in a browser on this computer.", flush=True)
        print("It is served on this computer only (127.0.0.1) and fetches nothing from the internet.")
        print("Press Ctrl+C to stop.", flush=True)
        code = server.wait()
        print(f"The workshop server stopped unexpectedly (exit code {code}). The end of its log:", file=sys.stderr)
        print(server.log.read_text(encoding="utf-8", errors="replace")[-3000:], file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nStopping the workshop server.")
        return 0
    finally:
        server.stop()
