"""`sitroom eval topics`: (being built)."""


def add_arguments(parser) -> None:
    parser.add_argument("path")


def run(args) -> int:
    raise SystemExit("sitroom eval topics: not built yet")
