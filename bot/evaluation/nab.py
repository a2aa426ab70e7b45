"""`sitroom eval nab`: (being built)."""


def add_arguments(parser) -> None:
    parser.add_argument("path")


def run(args) -> int:
    raise SystemExit("sitroom eval nab: not built yet")
