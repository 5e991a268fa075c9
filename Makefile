# make test   -- set up (once) and run the test suite
# make grade  -- set up (once) and grade the bundled example submissions of every assignment
# make validate -- prove every assignment sound: solution full marks, template 0, every mutant caught
# make release  -- write dist/<assignment>/: student folder and zip, solution, grading bundle
# make bench    -- time grading against plain nbconvert and otter-grader, a course of 300 submissions, the similarity
#                 report of 300, the review app and the student install (about an hour, and ~6 GB of scratch disk;
#                 not part of make test)
VENV := .venv
PY := $(VENV)/bin/python
# Every assignments/<id>/ holding its master notebook <id>.ipynb.
ASSIGNMENTS := $(foreach folder,$(wildcard assignments/*),$(if $(wildcard $(folder)/$(notdir $(folder)).ipynb),$(notdir $(folder))))
GRADE_FLAGS ?= --cell-timeout 10
VALIDATE_FLAGS ?= --cell-timeout 10
BENCH_FLAGS ?=

.PHONY: setup test grade lint examples validate release bench clean

setup: $(VENV)/.deps

$(VENV)/.deps: pyproject.toml tools/bootstrap.sh tools/requirements.py $(wildcard assignments/*/requirements.txt)
	bash tools/bootstrap.sh

test: setup
	$(PY) -m pytest -q

lint: setup
	$(PY) -m ruff check .
	$(PY) -c 'import sys; from importlinter.cli import lint_imports; sys.exit(lint_imports())'

grade: setup
	@for assignment in $(ASSIGNMENTS); do \
		$(VENV)/bin/autograder grade $$assignment assignments/$$assignment/examples $(GRADE_FLAGS) || exit $$?; \
	done

examples: setup
	@for assignment in $(ASSIGNMENTS); do $(VENV)/bin/autograder examples $$assignment || exit $$?; done

validate: setup
	@status=0; for assignment in $(ASSIGNMENTS); do \
		$(VENV)/bin/autograder validate $$assignment $(VALIDATE_FLAGS) || status=1; \
	done; exit $$status

release: setup
	@for assignment in $(ASSIGNMENTS); do $(VENV)/bin/autograder release $$assignment || exit $$?; done

bench: setup
	$(PY) -m bench.run $(BENCH_FLAGS)
	$(PY) -m bench.course
	$(PY) -m bench.similarity
	$(PY) -m bench.review
	$(PY) -m bench.student_install

clean:
	rm -rf $(VENV) grades dist .pytest_cache .ruff_cache
