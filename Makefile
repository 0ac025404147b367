# carebot: the two everyday commands are `make sim` and `make test`; both set up on first use.
VENV ?= .venv
PY := $(VENV)/bin/python
SETUP_STAMP := $(VENV)/.carebot-setup-stamp
SETUP_INPUTS := pyproject.toml constraints.txt requirements/ros-kilted.txt scripts/setup.sh \
	scripts/build_interfaces.py $(wildcard interfaces/carebot_interfaces/*.txt \
	interfaces/carebot_interfaces/*.xml interfaces/carebot_interfaces/msg/* interfaces/carebot_interfaces/action/*)
ARGS ?=
PYTEST_ARGS ?=

.PHONY: setup sim test lock clean
setup: $(SETUP_STAMP)

$(SETUP_STAMP): $(SETUP_INPUTS)
	VENV=$(VENV) scripts/setup.sh
	touch $@

sim: setup
	$(VENV)/bin/carebot sim $(ARGS)

# pytest exit 5 means "collected no tests" (e.g. a -k filter matched nothing): say so, don't fail on it.
test: setup
	$(PY) -m pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests"; exit 0; fi; exit $$rc

lock: setup
	$(PY) scripts/lock.py > constraints.txt

clean:
	rm -rf $(VENV) $(VENV).setup.log build *.egg-info
