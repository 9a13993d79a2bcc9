# Two commands do all the set-up on a fresh clone (see README, Quick start):
#   make demo   -> create .venv, install, run the bundled demo review end to end
#   make test   -> create .venv, install with test extras, run the test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test bench clean-demo

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/screening run pipelines/demo.toml
	$(BIN)/python pipelines/demo_screening.py pipelines/demo.toml
	$(BIN)/screening run pipelines/demo.toml
	$(BIN)/screening status pipelines/demo.toml
	$(BIN)/screening agreement pipelines/demo.toml --reviewer demo-adjudicator

test: $(STAMP)
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

clean-demo:
	rm -rf data/screened/demo
