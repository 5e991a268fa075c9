# make test   -- set up (once) and run the test suite
# make grade  -- set up (once) and grade the bundled example submissions of every assignment
VENV := .venv
PY := $(VENV)/bin/python
ASSIGNMENTS := $(notdir $(patsubst %/assignment.toml,%,$(wildcard assignments/*/assignment.toml)))
GRADE_FLAGS ?= --cell-timeout 10

.PHONY: setup test grade lint examples clean

setup: $(VENV)/.deps

$(VENV)/.deps: pyproject.toml tools/bootstrap.sh tools/requirements.py
	bash tools/bootstrap.sh

test: setup
	$(PY) -m pytest -q

lint: setup
	$(PY) -m ruff check .

grade: setup
	@for assignment in $(ASSIGNMENTS); do \
		$(VENV)/bin/autograder grade $$assignment assignments/$$assignment/examples $(GRADE_FLAGS) || exit $$?; \
	done

examples: setup
	@for assignment in $(ASSIGNMENTS); do $(VENV)/bin/autograder examples $$assignment || exit $$?; done

clean:
	rm -rf $(VENV) grades .pytest_cache .ruff_cache
