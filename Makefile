# Bachata Buddy: `make demo` runs the product on its embedded defaults; `make test` runs the tests
# (`make test-fast` the quick ones).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: venv system-packages js venv-gpu demo seed serve test test-fast test-js voice lint bench bench-journey load clean

venv: system-packages $(VENV)/.installed js

# The 3D clips draw through EGL: Debian's libEGL (glvnd) and Mesa's EGL and software rasteriser
# (llvmpipe). Checked on every `make venv`, installed only where missing (needs root and apt): a
# machine that has them does nothing, one without dpkg is left alone.
EGL_PACKAGES := libegl1 libegl-mesa0 libgl1-mesa-dri libgbm1

system-packages:
	@command -v dpkg-query >/dev/null || exit 0; \
	missing=$$(for p in $(EGL_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing" $$missing "(EGL for the 3D clips)"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements-dev.txt
	touch $@

# The browser libraries the pages load from our own static files (no CDN): pinned in package.json and
# package-lock.json, installed by `npm ci`, the files the pages need copied into static/vendor/ (git-ignored).
JS_VENDOR := static/vendor

js: $(JS_VENDOR)/.installed

# MediaPipe pose (the camera's timing feedback, in the dancer's browser): the classic script, its wasm (with and
# without SIMD), the packed assets and graph, and the lite and full landmark models (not the 27 MB heavy one).
MEDIAPIPE_POSE_FILES := pose.js pose_solution_packed_assets_loader.js pose_solution_packed_assets.data \
	pose_solution_simd_wasm_bin.js pose_solution_simd_wasm_bin.wasm pose_solution_simd_wasm_bin.data \
	pose_solution_wasm_bin.js pose_solution_wasm_bin.wasm pose_web.binarypb \
	pose_landmark_lite.tflite pose_landmark_full.tflite

$(JS_VENDOR)/.installed: package.json package-lock.json
	@command -v npm >/dev/null || { echo "make js needs Node.js 20 or newer with npm (node, npm; on Debian: apt-get install nodejs npm)"; exit 1; }
	npm ci --no-audit --no-fund --ignore-scripts
	mkdir -p $(JS_VENDOR)/uplot
	cp node_modules/uplot/dist/uPlot.iife.min.js node_modules/uplot/dist/uPlot.min.css $(JS_VENDOR)/uplot/
	rm -rf $(JS_VENDOR)/mediapipe-pose && mkdir -p $(JS_VENDOR)/mediapipe-pose
	cp $(addprefix node_modules/@mediapipe/pose/,$(MEDIAPIPE_POSE_FILES)) $(JS_VENDOR)/mediapipe-pose/
	touch $@

# GPU workers: faiss-gpu in place of faiss-cpu (never both in one environment).
venv-gpu: venv
	$(PIP) uninstall --yes faiss-cpu
	$(PIP) install --quiet faiss-gpu==1.15.1

# The spoken counts' samples (static/audio/counts/, committed): made again by espeak-ng, from Debian's
# packages, installed here where missing (needs root and apt).
voice: venv
	@command -v espeak-ng >/dev/null || { \
	  echo "installing espeak-ng (the spoken counts' voice)"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -qq && apt-get install -y -qq --no-install-recommends espeak-ng >/dev/null; }
	$(PY) scripts/make_count_voice.py

seed: venv
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo

# `make demo` serves once the beginner moves' clips are ready (a first routine, the demo routine); the other
# moves' clips render in the background, niced, while the site runs (their log: var/render-rest.log), a level
# at a time, each level joining the catalog when its clips are recorded. Stopping the server stops that
# render; the next `make demo` goes on where it stopped.
REST_LOG = $${BACHATA_VAR_DIR:-var}/render-rest.log

demo: venv
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo --clips first
	@echo ""
	@echo "  Bachata Buddy is at http://$(HOST):$(PORT)/"
	@echo "  Demo login: demo / bachata-demo-2026   (staff: admin / bachata-admin-2026, admin at /admin/)"
	@echo "  The intermediate and advanced moves' clips render in the background: $(REST_LOG)"
	@echo ""
	@mkdir -p "$${BACHATA_VAR_DIR:-var}"; \
	nice -n 10 $(PY) manage.py seed_demo --clips rest --no-users > "$(REST_LOG)" 2>&1 & rest=$$!; \
	trap 'kill $$rest 2>/dev/null' EXIT INT TERM; \
	$(PY) manage.py runserver $(HOST):$(PORT)

test: venv test-js
	$(PY) -m pytest

# The player's and the charts' pure helpers (static/js/), unit-tested by Node's own runner: no npm package needed.
test-js:
	@command -v node >/dev/null || { echo "make test-js needs Node.js 20 or newer (node)"; exit 1; }
	node --test static/js/tests/

# The quick loop while editing: no test that needs Chromium or takes more than a few seconds
# (the rendered catalog, real servers, big fuzzing runs); `make test` still runs them all.
test-fast: venv test-js
	$(PY) -m pytest -m "not slow and not browser"

lint: venv
	$(VENV)/bin/ruff check .

bench: venv
	$(PY) manage.py bench_music --json
	$(PY) manage.py bench_vector_index --json
	$(PY) manage.py bench_assembly --json
	$(PY) manage.py bench_generate --json
	$(PY) manage.py bench_journey --json --modes embedded,embedded_sync

# The journey benchmark in production's shape too: PostgreSQL and Redis on this machine (see bench_journey).
bench-journey: venv
	$(PY) manage.py bench_journey --json

# A load benchmark on loopback only: gunicorn + PostgreSQL + Redis + two RQ workers, 30 dancers; then
# the many-machines simulation (media in a bucket on moto's S3 server, 20 routines from uploaded songs).
load: venv
	bash scripts/load.sh

clean:
	rm -rf var .pytest_cache .ruff_cache node_modules $(JS_VENDOR)
