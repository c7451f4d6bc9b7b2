# Stage images, the offline base image and the container tests (included by the Makefile).
# `make build` builds one image per stage from docker/Dockerfile, tagged $(IMAGE_REPO)/<stage>:$(IMAGE_TAG).

# Every image docker/Dockerfile makes: the eight stage images, `submit` (pipeline.py + the KFP SDK, for the CronJob
# in k8s/) and `mlflow` (the tracking server of k8s/mlflow). STAGES picks a subset (STAGES="train predict").
IMAGES := ingest validate features train evaluate promote predict monitor submit mlflow
STAGES ?= $(IMAGES)
IMAGE_REPO ?= flight-delay
# The tag is the git commit (plus -dirty for uncommitted changes to tracked files), never `latest`:
# KFP's cache key ignores image digests. pipeline.py's --runner docker picks the same tag.
GIT_SHA := $(shell git rev-parse --short=12 HEAD 2>/dev/null)
GIT_DIRTY := $(if $(GIT_SHA),$(shell git status --porcelain --untracked-files=no 2>/dev/null | head -1))
ifndef IMAGE_TAG
IMAGE_TAG := $(if $(GIT_SHA),$(GIT_SHA)$(if $(GIT_DIRTY),-dirty),unknown)
endif
REVISION ?= $(if $(GIT_SHA),$(shell git rev-parse HEAD)$(if $(GIT_DIRTY),-dirty),unknown)
BASE_IMAGE ?= python:3.11-slim-bookworm
OFFLINE_BASE ?= $(IMAGE_REPO)/python-base:3.11-bookworm-offline
DOCKER ?= docker
HADOLINT ?= .venv/bin/hadolint
BUILD_LOGS ?= build/docker

# The locked package sets the images install (docker/requirements/<set>.txt, exported from uv.lock):
# core for every stage, then one set per combination of extras a stage needs (see docker/Dockerfile).
REQUIREMENT_SETS := core warehouse-seed cluster ml ml-report warehouse-ml
REQUIREMENTS := $(REQUIREMENT_SETS:%=docker/requirements/%.txt)

.PHONY: base-image print-offline-base requirements build lint-docker image-sizes test-containers

# Rewritten only when the content changes (tests/container/test_requirement_sets.py catches a stale set).
docker/requirements/%.txt: uv.lock pyproject.toml | $(UV)
	@{ echo "# The '$*' package set of the stage images: exported from uv.lock by make requirements, do not edit."; \
	   $(UV) export --quiet --frozen --no-dev --no-emit-project --no-header \
	    $(if $(filter core,$*),,$(foreach extra,$(subst -, ,$*),--extra $(extra))); } >$@.new
	@if cmp -s $@.new $@; then rm $@.new; touch $@; else mv $@.new $@; echo "updated $@"; fi

requirements: $(REQUIREMENTS) ## Export the images' locked package sets from uv.lock (make build does it)

base-image: ## Build the base image offline (debootstrap + docker import, trusts the host CA bundle)
	bash scripts/build-base-image.sh $(OFFLINE_BASE)

print-offline-base: ## Print the offline base image's name (for make build BASE_IMAGE=...)
	@echo $(OFFLINE_BASE)

build: $(REQUIREMENTS) ## Build the images, IMAGE_REPO/<stage>:IMAGE_TAG: stages, submit, mlflow (STAGES="train predict": a subset)
	@mkdir -p $(BUILD_LOGS)
	@for stage in $(STAGES); do \
	    case " $(IMAGES) " in *" $$stage "*) ;; \
	        *) echo "error: unknown stage '$$stage' in STAGES: use $(IMAGES)"; exit 2;; esac; \
	    image=$(IMAGE_REPO)/$$stage:$(IMAGE_TAG); started=$$(date +%s); \
	    if $(DOCKER) build --file docker/Dockerfile --target $$stage --tag $$image \
	        --build-arg BASE_IMAGE=$(BASE_IMAGE) --build-arg REVISION=$(REVISION) \
	        --build-arg IMAGE_REPO=$(IMAGE_REPO) --build-arg IMAGE_TAG=$(IMAGE_TAG) . >$(BUILD_LOGS)/$$stage.log 2>&1; then \
	        echo "built $$image in $$(( $$(date +%s) - started )) s"; \
	    else \
	        tail -25 $(BUILD_LOGS)/$$stage.log; \
	        echo "error: building $$image failed (full log: $(BUILD_LOGS)/$$stage.log)"; exit 1; \
	    fi; \
	done

lint-docker: install ## hadolint on docker/Dockerfile
	$(HADOLINT) docker/Dockerfile

image-sizes: ## Sizes of the images of IMAGE_TAG (STAGES)
	@for stage in $(STAGES); do $(DOCKER) image ls --format '{{.Repository}}:{{.Tag}}  {{.Size}}' $(IMAGE_REPO)/$$stage:$(IMAGE_TAG); done

test-containers: install ## Container tests and the docker-runner pipeline run, on the built images (make build first)
	IMAGE_REPO=$(IMAGE_REPO) IMAGE_TAG=$(IMAGE_TAG) $(RUN) pytest -q -m docker tests/container

# `make compile` names the images `make build` tags (pipeline.py reads IMAGE_REPO / IMAGE_TAG).
compile: export IMAGE_REPO := $(IMAGE_REPO)
compile: export IMAGE_TAG := $(IMAGE_TAG)
