# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3.11
VENV   ?= .venv
PY     := $(VENV)/bin/python
BIN    := $(VENV)/bin
PORT   ?= 8001

.PHONY: install demo-deps test-deps apt-install demo test test-fast lint docs catalogues bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed demo-deps

# System packages, by what needs them: the briefing (WeasyPrint's Pango and fonts for
# Cyrillic and Kazakh text, and Symbola for emoji), and the tests (a real browser,
# pdftotext, strace, and PostgreSQL: tests/postgres.py starts a server in a temporary
# folder, as the `postgres` user when run as root, since PostgreSQL refuses root).
# Installed with apt-get where there is one; elsewhere (macOS...) the Makefile says what
# to install.
demo-deps:
	@missing=""; \
	[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing="fonts-dejavu-core"; \
	fc-list 2>/dev/null | grep -q Symbola || missing="$$missing fonts-symbola"; \
	ldconfig -p 2>/dev/null | grep -q libpangoft2-1.0 || missing="$$missing libpango-1.0-0 libpangoft2-1.0-0"; \
	$(MAKE) --no-print-directory apt-install PACKAGES="$$missing" WHY="the briefing"

test-deps:
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium chromium-driver"; \
	command -v pdftotext >/dev/null || missing="$$missing poppler-utils"; \
	command -v strace >/dev/null || missing="$$missing strace"; \
	command -v npm >/dev/null || missing="$$missing npm"; \
	{ command -v pg_ctl >/dev/null || ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; } \
	  || missing="$$missing postgresql"; \
	$(MAKE) --no-print-directory apt-install PACKAGES="$$missing" WHY="the tests"
	@# axe-core, the accessibility checker the browser tests inject into pages
	@[ -f .cache/axe/node_modules/axe-core/axe.min.js ] || npm install --silent --no-audit \
	  --no-fund --prefix .cache/axe axe-core@4.10.3 >/dev/null

apt-install:
	@if [ -n "$(strip $(PACKAGES))" ]; then \
	  if command -v apt-get >/dev/null; then \
	    echo "installing Debian packages for $(WHY): $(strip $(PACKAGES))"; \
	    SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	    $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $(PACKAGES) >/dev/null; \
	  else \
	    echo "$(WHY) need(s) system packages this machine lacks: $(strip $(PACKAGES))"; \
	    echo "(Debian names; on macOS: brew install pango poppler, and a Chromium; then run make again)"; \
	    exit 1; \
	  fi; \
	fi

# Verify and list the shipped Astana archive, build its database, render the briefing,
# then serve it with Datasette (Ctrl-C to stop).
demo: install
	$(BIN)/archive verify
	$(BIN)/archive log | head -n 20
	$(BIN)/archive build
	$(BIN)/archive briefing
	$(BIN)/archive briefing --html
	$(BIN)/archive serve --port $(PORT)

# Every test, on every core (what CI runs; under five minutes on a 2-core machine).
test: install test-deps
	$(BIN)/cog --check README.md docs/*.md
	$(BIN)/pytest -q -n auto --dist worksteal

# The edit-test loop (under a minute): all but the `slow` and `faults` tests, with the
# `dev` Hypothesis profile (a fifth of each property's examples).
test-fast: install test-deps
	HYPOTHESIS_PROFILE=dev $(BIN)/pytest -q -n auto --dist worksteal -m "not slow and not faults"

lint: install
	$(BIN)/ruff check archive tests bench
	$(BIN)/mypy
	$(BIN)/cog --check README.md docs/*.md

# Regenerate the generated parts of the README and docs/ (CLI help, event types, schema).
docs: install
	$(BIN)/cog -r README.md docs/*.md

# Refresh the briefing's gettext catalogues from its templates and code: extract the
# English words, merge them into each language's .po (new words come in untranslated, and
# `make test` fails until they are translated), and compile the .mo files the package reads.
LOCALE := archive/briefing/locale
BRIEFING_LANGS := kk ru
catalogues: install
	mkdir -p $(LOCALE)
	$(BIN)/pybabel extract -F babel.cfg -k N_ -k Nn_:1,2 --no-location \
	  --project "conference archive" -o $(LOCALE)/briefing.pot .
	for lang in $(BRIEFING_LANGS); do \
	  if [ -f $(LOCALE)/$$lang/LC_MESSAGES/briefing.po ]; then \
	    $(BIN)/pybabel update --ignore-obsolete --no-fuzzy-matching -D briefing \
	      -i $(LOCALE)/briefing.pot -d $(LOCALE) -l $$lang; \
	  else \
	    $(BIN)/pybabel init -D briefing -i $(LOCALE)/briefing.pot -d $(LOCALE) -l $$lang; \
	  fi; \
	done
	$(BIN)/pybabel compile -D briefing -d $(LOCALE)

bench: install
	$(PY) -m bench

clean:
	rm -rf $(VENV) exports/*.db exports/*.pdf exports/.log-index.sqlite* .pytest_cache
