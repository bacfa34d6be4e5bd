# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3.11
VENV   ?= .venv
PY     := $(VENV)/bin/python
BIN    := $(VENV)/bin
PORT   ?= 8001

.PHONY: install system-deps demo test lint docs bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed system-deps

# Debian packages the tests and the briefing use: a real browser, pdftotext, fonts, strace.
system-deps:
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium chromium-driver"; \
	command -v pdftotext >/dev/null || missing="$$missing poppler-utils"; \
	command -v strace >/dev/null || missing="$$missing strace"; \
	[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing="$$missing fonts-dejavu-core"; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

# Verify and list the shipped Astana archive, build its database, render the briefing,
# then serve it with Datasette (Ctrl-C to stop).
demo: install
	$(BIN)/archive verify
	$(BIN)/archive log | head -n 20
	$(BIN)/archive build
	$(BIN)/archive briefing
	$(BIN)/archive serve --port $(PORT)

test: install
	$(BIN)/cog --check README.md
	$(BIN)/pytest -q

lint: install
	$(BIN)/ruff check archive tests bench
	$(BIN)/mypy
	$(BIN)/cog --check README.md

# Regenerate the generated parts of the README (CLI help, event types, schema).
docs: install
	$(BIN)/cog -r README.md

bench: install
	$(PY) -m bench

clean:
	rm -rf $(VENV) exports/*.db exports/*.pdf exports/.log-index.sqlite* .pytest_cache
