# The commands of the README:
#   make course       students: set up, then open the course in JupyterLab
#   make instructor   instructors: set up the course and nbgrader (docs/instructors.md)
#   make test         set up everything, then run the full test suite
PYTHON ?= python3
PY := $(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])')
# One stamp per set-up (requirements*.txt); `make test`'s holds every extra.
STAMP := .installed-$(PY)
COURSE_STAMP := .installed-course-$(PY)
INSTRUCTOR_STAMP := .installed-instructor-$(PY)

.PHONY: course instructor test build

$(COURSE_STAMP): pyproject.toml requirements.txt
	$(PYTHON) -m pip install -r requirements.txt
	touch $@

$(INSTRUCTOR_STAMP): pyproject.toml requirements-instructor.txt
	$(PYTHON) -m pip install -r requirements-instructor.txt
	touch $@

$(STAMP): pyproject.toml requirements-test.txt
	$(PYTHON) -m pip install -r requirements-test.txt
	touch $@

# JupyterLab on tutorials/ (with --allow-root only as root; no nbgrader UI).
course: $(COURSE_STAMP)
	$(PYTHON) -m grader lab

instructor: $(INSTRUCTOR_STAMP)
	@echo "Instructor tools ready: python -m grader course DIR (docs/instructors.md)"

# One pytest worker per core (pyproject.toml); tests/test_build.py runs
# `python -m grader build --check`, so stale generated files fail here too.
test: $(STAMP)
	$(PYTHON) -m pytest -q

build: $(STAMP)
	$(PYTHON) -m grader build
