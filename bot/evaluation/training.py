"""`sitroom train sentiment DATA…`: (being built)."""


def add_arguments(parser) -> None:
    parser.add_argument("data", nargs="+")


def run(args) -> int:
    raise SystemExit("sitroom train sentiment: not built yet")
