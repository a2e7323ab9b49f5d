# The two commands of the README:
#   make course   set up, then open the course in JupyterLab
#   make test     set up, then run the full test suite
PYTHON ?= python3
STAMP := .installed-$(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])')

.PHONY: course test build check-build benchmark

$(STAMP): pyproject.toml requirements.txt
	$(PYTHON) -m pip install -r requirements.txt
	touch $@

course: $(STAMP)
	$(PYTHON) -m jupyter lab tutorials/

test: $(STAMP)
	$(PYTHON) -m grader build --check
	$(PYTHON) -m pytest -q

build: $(STAMP)
	$(PYTHON) -m grader build

benchmark: $(STAMP)
	$(PYTHON) benchmarks/run_all.py
