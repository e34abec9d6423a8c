"""`python -m owncast_plugin build [DIR]` / `python -m owncast_plugin new DIR`."""

import sys


def main() -> int:
    args = sys.argv[1:]
    if args and args[0] == "build":
        from .build import main as build

        return build(args[1:])
    if args and args[0] == "new":
        from .scaffold import main as new

        return new(args[1:])
    print("usage: python -m owncast_plugin build [DIR] | new DIR", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
