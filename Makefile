# Two commands do everything on a fresh machine with Python 3.11: `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: setup demo test bench browser serve worker clean

setup: $(STAMP)

# Reinstalls only when the pins change; a second run does nothing.
$(STAMP): requirements.txt constraints.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements.txt -c constraints.txt
	$(BIN)/python -m pip install -q --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

demo: setup
	$(BIN)/sitroom demo

test: setup browser
	$(BIN)/python -m pytest

bench: setup
	$(BIN)/python -m bench

# The room's browser test drives Debian's Chromium (no browser downloads here).
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	  { echo "installing Debian's chromium for the browser test"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) || \
	    echo "could not install chromium: the browser test will be skipped"; }

serve: setup
	$(BIN)/sitroom serve

worker: setup
	$(BIN)/sitroom worker

clean:
	rm -rf $(VENV) data
