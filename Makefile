# Set-up, serving and tests. `make run` and `make test` are all a fresh machine needs.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
TOOLS := .tools
PROTO_OUT ?= server/worldsmith/_proto
CSHARP_PLUGIN := $(TOOLS)/bin/grpc_csharp_plugin
DATA_DIR ?= var
# Debian's Chromium and Mono's C# compiler; defined before the rules that name them, since make expands
# prerequisites as it reads them.
CHROMIUM := /usr/bin/chromium
MCS := /usr/bin/mcs

.PHONY: run test install tools proto lint-proto clients bench clean studio cluster

install: $(STAMP)

# llama.cpp compiled for this machine's CPU (GGML_NATIVE: AVX-512 and VNNI where present), about 10 min on 2 cores
# and once per venv: the package index ships no such build, and its AVX2-only builds decode at 0.84x the speed.
# AMX stays off: on the development VM the CPU reports AMX and the kernel grants it, yet ggml's AMX kernels die of
# SIGILL at the first decode (tilezero on a worker thread). For a GPU: make run LLAMA_CMAKE_ARGS=-DGGML_CUDA=on
LLAMA_CPP_PYTHON := 0.3.36
NO_AMX := -mno-amx-tile -mno-amx-int8 -mno-amx-bf16
LLAMA_CMAKE_ARGS ?=
LLAMA_CPP := $(VENV)/.llama-cpp-$(LLAMA_CPP_PYTHON)

$(LLAMA_CPP):
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	CMAKE_ARGS="-DGGML_NATIVE=ON -DLLAMA_BUILD_SERVER=OFF -DLLAMA_BUILD_TOOLS=OFF -DLLAVA_BUILD=OFF $(LLAMA_CMAKE_ARGS)" \
		CFLAGS="$(NO_AMX)" CXXFLAGS="$(NO_AMX)" CMAKE_BUILD_PARALLEL_LEVEL=$$(nproc) \
		$(PY) -m pip install -q --no-cache-dir --no-binary llama-cpp-python llama-cpp-python==$(LLAMA_CPP_PYTHON)
	touch $@

# torch is installed first and pinned: 2.13.0 is the CPU build; anything looser pulls CUDA.
$(STAMP): pyproject.toml $(LLAMA_CPP)
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

# Node and Debian tools the tests drive: buf, the Khronos glTF validator, protoc's C# plugin, headless Chromium,
# and Mono's C# compiler, which runs the Unity package's audio and viseme classes against a live server.
tools: $(TOOLS)/.installed $(CSHARP_PLUGIN) $(CHROMIUM) $(MCS)

$(TOOLS)/.installed:
	mkdir -p $(TOOLS)
	npm install --silent --no-audit --no-fund --prefix $(TOOLS) @bufbuild/buf@1 gltf-validator@2.0.0-dev.3.10
	touch $@

# Development keys for `make run`; set WORLDSMITH_API_KEYS yourself for anything shared.
DEV_KEYS ?= runtime:dev-runtime-key,editor:dev-editor-key,admin:dev-admin-key

run: $(STAMP) studio
	WORLDSMITH_API_KEYS="$${WORLDSMITH_API_KEYS:-$(DEV_KEYS)}" $(VENV)/bin/worldsmith serve --data-dir $(DATA_DIR) --http-port 8080 --metrics-port 9464

# Two fronts, a two-replica Ray deployment and PostgreSQL on this machine (deploy/local-cluster.sh).
cluster: $(STAMP) postgresql
	bash deploy/local-cluster.sh

test: $(STAMP) tools studio postgresql
	$(PY) -m pytest -q

# PostgreSQL from Debian for the store's tests and the two-front tests; they start their own server in a
# temporary folder (tests/postgres.py), never the packaged one.
.PHONY: postgresql
postgresql:
	dpkg -s postgresql >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; }

proto: $(STAMP)
	mkdir -p $(PROTO_OUT)
	$(PY) -m grpc_tools.protoc -Iproto --python_out=$(PROTO_OUT) --grpc_python_out=$(PROTO_OUT) --pyi_out=$(PROTO_OUT) proto/worldsmith/v1/*.proto
	sed -i 's/^from worldsmith\.v1 import/from worldsmith._proto.worldsmith.v1 import/' $(PROTO_OUT)/worldsmith/v1/*.py $(PROTO_OUT)/worldsmith/v1/*.pyi
	touch $(PROTO_OUT)/__init__.py $(PROTO_OUT)/worldsmith/__init__.py $(PROTO_OUT)/worldsmith/v1/__init__.py

lint-proto: tools
	$(TOOLS)/node_modules/.bin/buf lint

bench: $(STAMP) bench-tools
	for b in bench/[a-z]*.py; do $(PY) $$b || exit 1; done

# Baselines for bench/engines.py, in their own venv so `make test` never builds them: llama-cpp-python compiled
# from source for this CPU, as in the main venv, and the llama-server binary of the same build (about 15 min).
BENCH_VENV := .bench-venv
LLAMA_BUILD := $(CURDIR)/$(BENCH_VENV)/llama-build
.PHONY: bench-tools

bench-tools: $(BENCH_VENV)/bin/llama-server

$(BENCH_VENV)/bin/llama-server:
	python3 -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install -q --upgrade pip
	CMAKE_ARGS="-DLLAMA_BUILD_SERVER=ON -DLLAMA_BUILD_TOOLS=ON -DLLAVA_BUILD=OFF -DGGML_NATIVE=ON" \
		CFLAGS="$(NO_AMX)" CXXFLAGS="$(NO_AMX)" CMAKE_BUILD_PARALLEL_LEVEL=$$(nproc) $(BENCH_VENV)/bin/python -m pip install -q --no-cache-dir --no-binary llama-cpp-python \
		--config-settings=build-dir=$(LLAMA_BUILD) llama-cpp-python==$(LLAMA_CPP_PYTHON)
	test -x $(LLAMA_BUILD)/bin/llama-server
	ln -sf $(LLAMA_BUILD)/bin/llama-server $@

clean:
	rm -rf $(VENV) $(TOOLS) $(DATA_DIR) studio/node_modules studio/dist studio/src/gen

# The studio served at /studio/: npm packages from its lockfile, Connect-ES code generated from proto/ by buf,
# one esbuild bundle in studio/dist (a build output, like the generated code in studio/src/gen).
STUDIO_SOURCES := $(shell find studio/src studio/static -type f -not -path 'studio/src/gen/*' 2>/dev/null)
STUDIO_BUNDLE := studio/dist/studio.js
studio: $(STUDIO_BUNDLE)

studio/node_modules/.package-lock.json: studio/package-lock.json
	npm ci --silent --no-audit --no-fund --prefix studio

$(STUDIO_BUNDLE): studio/node_modules/.package-lock.json studio/package.json studio/buf.gen.yaml $(STUDIO_SOURCES) $(wildcard proto/worldsmith/v1/*.proto)
	npm run --silent --prefix studio build

# Debian's Chromium, which the studio's browser tests drive headless through Playwright.
$(CHROMIUM):
	dpkg -s chromium >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

$(MCS):
	dpkg -s mono-mcs >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mono-mcs >/dev/null; }

# Engine clients: the Unity package's C# messages and gRPC stubs, generated from proto/ and
# checked in (tests/clients fails when they are stale), plus the .meta files Unity needs.
UNITY_GENERATED := clients/unity/Runtime/Generated

clients: $(CSHARP_PLUGIN)
	rm -rf $(UNITY_GENERATED) && mkdir -p $(UNITY_GENERATED)
	protoc -Iproto --csharp_out=$(UNITY_GENERATED) --grpc_out=no_server:$(UNITY_GENERATED) \
		--plugin=protoc-gen-grpc=$(CSHARP_PLUGIN) proto/worldsmith/v1/*.proto
	python3 'clients/unity/Tools~/unity_meta.py' clients/unity

# Debian ships gRPC's C# generator inside libgrpc_plugin_support but no grpc_csharp_plugin
# executable; this builds the few lines of main() around it.
$(CSHARP_PLUGIN): clients/unity/Tools~/grpc_csharp_plugin.cc
	dpkg -s g++ libprotoc-dev protobuf-compiler-grpc >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq g++ libprotoc-dev protobuf-compiler-grpc >/dev/null; }
	mkdir -p $(dir $@)
	g++ -std=c++17 -O1 -o $@ '$<' $$(ls /usr/lib/*/libgrpc_plugin_support.so.* | head -n1) -lprotoc -lprotobuf
