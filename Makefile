# edgeppo: `make build` leaves bin/edgeppo; `make test` runs every test; `make bench` the JMH benchmarks;
# `make run` the main job (a short simulation with its plot) on the embedded defaults.
SHELL := /bin/bash
.DEFAULT_GOAL := build

# Maven is pinned through the Maven Wrapper. Its properties are written here, not committed, so the
# download address comes from Maven's own defaults; version and checksum are the pin.
MAVEN_VERSION := 3.9.16
MAVEN_SHA256  := 5af3b743dd8b876b5c45da33b676251e5f1687712644abb4ee519ca56e1d89ce
WRAPPER_PROPS := .mvn/wrapper/maven-wrapper.properties

JAVA_HOME := $(shell tools/find-jdk25.sh)
ifeq ($(JAVA_HOME),)
$(error no JDK 25 found; see the message above)
endif
export JAVA_HOME
MVN := ./mvnw -B -q
# nvcc builds the fatbin; NVCC= picks an older toolkit for older edge drivers (see docs/design.md).
NVCC ?= nvcc
export NVCC

.PHONY: build test bench run native kernels bindings wrapper clean tsan kernel-header manifests image image-smoke gpu-check

$(WRAPPER_PROPS):
	@mkdir -p $(dir $@)
	@{ echo "wrapperVersion=3.3.4"; echo "distributionType=only-script"; \
	   echo "distributionUrl=$$(tools/maven-central-url.sh)/org/apache/maven/apache-maven/$(MAVEN_VERSION)/apache-maven-$(MAVEN_VERSION)-bin.zip"; \
	   echo "distributionSha256Sum=$(MAVEN_SHA256)"; } > $@.tmp && mv $@.tmp $@

wrapper: $(WRAPPER_PROPS)

native:
	$(MAKE) -C native

kernels:
	$(MAKE) -C cuda-kernels

bindings:
	bindings/generate.sh

# cuda-kernels/generated/consts.h from dev.edgeppo.cuda.KernelAbi (committed; KernelAbiTest checks it).
kernel-header: $(WRAPPER_PROPS)
	./mvnw -B -q test -Dedgeppo.skipFuzz=true -Dtest=KernelAbiTest -Dedgeppo.writeKernelHeader=true -Dsurefire.failIfNoSpecifiedTests=false

build: $(WRAPPER_PROPS) native kernels
	$(MVN) -DskipTests package
	@mkdir -p bin
	@sed -e "s|@EDGEPPO_HOME@|$(CURDIR)|" tools/edgeppo-launcher.sh > bin/edgeppo.tmp && chmod +x bin/edgeppo.tmp && mv bin/edgeppo.tmp bin/edgeppo
	@echo "built bin/edgeppo (JDK: $(JAVA_HOME))"

# The kernels' host build under ThreadSanitizer (a few seconds): a missing barrier fails the build.
tsan:
	$(MAKE) -C native/cuda-host tsan

# deploy/*.yaml against Kubernetes' published schemas, offline (npm's kubernetes-models, pinned by the
# committed package-lock.json; installed from the npm registry when the lock changes).
MANIFEST_TOOL := tools/manifests
$(MANIFEST_TOOL)/node_modules/.package-lock.json: $(MANIFEST_TOOL)/package.json $(MANIFEST_TOOL)/package-lock.json
	cd $(MANIFEST_TOOL) && npm ci --no-audit --no-fund --loglevel=error

manifests: $(MANIFEST_TOOL)/node_modules/.package-lock.json
	cd $(MANIFEST_TOOL) && node check.mjs ../../deploy

test: $(WRAPPER_PROPS) native kernels tsan manifests
	./mvnw -B test

bench: build
	$(MVN) -DskipTests install
	cd benchmarks && ../mvnw -B -q -DskipTests package && \
	  $(JAVA_HOME)/bin/java --enable-native-access=ALL-UNNAMED -Dedgeppo.native.dir=$(CURDIR)/native/build \
	    -jar target/benchmarks.jar $(JMH_ARGS)

# On a machine with an NVIDIA GPU: one JSON report (docs/gpu-check.md); exits 2 with the reason without one.
gpu-check: build
	bin/edgeppo gpu-check --out target/gpu-check.json --fixtures src/test/resources/fixtures/ppo

run: build
	bin/edgeppo simulate --seeds 1 --eval-feedbacks 1000 --plot target/simulate.png

# The agent's OCI image, without a daemon (tools/image/build.sh says what is in it), and its smoke test
# with podman. Both as root; the packages they need are installed here, not by CI's default set-up.
image: build
	bash tools/setup.sh --image
	nice tools/image/build.sh
	nice tools/image/smoke.sh

image-smoke:
	nice tools/image/smoke.sh

clean:
	-./mvnw -B -q clean
	$(MAKE) -C native clean
	$(MAKE) -C cuda-kernels clean
	rm -rf bin benchmarks/target
