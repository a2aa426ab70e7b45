"""`sitroom eval sentiment`: (being built)."""


def add_arguments(parser) -> None:
    parser.add_argument("path")


def run(args) -> int:
    raise SystemExit("sitroom eval sentiment: not built yet")
