# Two entry points on a fresh machine with Python 3.11 (see README):
#   make repro   set up .venv if needed, then `dvc repro` the default params
#   make test    set up .venv if needed, then run the whole test suite
# and `make bench`: throughput and a forced, timed run of every stage (README, Performance);
# `make bench-sweep`: a 4-point sweep one point after another, then on local Ray workers (docs/scaling.md);
# `make compare`: the GAN configurations side by side (compare/dvc.yaml; README, GAN zoo);
# `make quick`: a first table in minutes (examples/quick.yaml, reports/quick/; README, Set-up)
# `make digits`: the pipeline on scikit-learn's digits, in a project of its own (reports/digits/; README, Your own data)
# `make flow`: the pipeline with the flow-matching generator at 100 to 1000 images (reports/flow/, about 2 hours on
#   2 cores), then the two generator classes side by side (reports/generators.json; docs/gan_zoo.md)
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install repro test bench bench-sweep compare quick digits flow clean-venv

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

repro: $(STAMP)
	PATH="$(BIN):$$PATH" dvc repro
	@# With a default remote set (docs/dvc.md, "A cache shared by every clone"), every clone can pull what this run made.
	@if PATH="$(BIN):$$PATH" dvc remote default >/dev/null 2>&1; then PATH="$(BIN):$$PATH" dvc push; fi

test: $(STAMP)
	PATH="$(BIN):$$PATH" python -m pytest

bench: $(STAMP)
	PATH="$(BIN):$$PATH" python benchmarks/pipeline.py --force --json reports/benchmark.json

bench-sweep: $(STAMP)
	PATH="$(BIN):$$PATH" python benchmarks/sweep.py examples/sweeps/bench.yaml --json reports/benchmark_sweep.json

compare: $(STAMP)
	PATH="$(BIN):$$PATH" dvc repro compare/dvc.yaml

quick: $(STAMP)
	PATH="$(BIN):$$PATH" python examples/run.py examples/quick.yaml reports/quick

digits: $(STAMP)
	PATH="$(BIN):$$PATH" python examples/run.py examples/digits.yaml reports/digits

flow: $(STAMP)
	PATH="$(BIN):$$PATH" python examples/run.py examples/flow.yaml reports/flow
	PATH="$(BIN):$$PATH" python benchmarks/generators.py --json reports/generators.json

clean-venv:
	rm -rf $(VENV)
