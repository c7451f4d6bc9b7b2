# cluster targets (included by the Makefile): kind + Kubeflow Pipelines, the in-cluster warehouse,
# submitting and scheduling runs. Longer logic lives in scripts/cluster/*.sh; manifests in k8s/.
# In order: make cluster, make warehouse, make build, make load, make submit (WAIT=1 waits), make schedule.
# On a managed cluster: make push (IMAGE_REPO=your registry), make warehouse OVERLAY=managed, and
# make submit KFP_HOST=https://... (credentials: see the README).
# IMAGE_REPO, IMAGE_TAG, STAGES and DOCKER come from mk/docker.mk; RUN, DATE_FLAG and install from the Makefile.

KFP_VERSION ?= 2.17.0
# Standalone KFP, as its docs install it: the cluster-scoped resources first, then the platform-agnostic env.
KFP_MANIFESTS ?= github.com/kubeflow/pipelines/manifests/kustomize
KFP_CLUSTER_SCOPED = $(KFP_MANIFESTS)/cluster-scoped-resources?ref=$(KFP_VERSION)
KFP_PLATFORM = $(KFP_MANIFESTS)/env/platform-agnostic?ref=$(KFP_VERSION)
KIND_VERSION ?= v0.29.0
KIND_NODE_IMAGE ?= kindest/node:v1.33.1
KIND_CLUSTER ?= flight-delay
K8S_SCHEMA_VERSION ?= 1.33.1
KFP_NAMESPACE ?= kubeflow
KFP_UI_PORT ?= 8080
KFP_HOST ?= http://localhost:$(KFP_UI_PORT)
# The cluster's MLflow tracking server as `make ui` port-forwards it (MLFLOW_PORT: mk/mlflow.mk), for make doctor.
TRACKING_URI ?= $(or $(MLFLOW_TRACKING_URI),http://127.0.0.1:$(MLFLOW_PORT))
PIPELINE ?= daily
REPLAY_YEAR ?= 2013
CRON ?= 0 0 6 * * *
SCHEDULE_NAME ?= flight-delay-daily
WAIT ?=
TIMEOUT ?=
OVERLAY ?= kind
KUBE_CONTEXT ?=
CLUSTER_TIMEOUT ?= 900
SEED_TIMEOUT ?= 1200
K8S_BUILD ?= build/k8s
KIND ?= kind
KUBECTL ?= kubectl
TRIVY ?= .venv/bin/trivy
# make deploy ENV=...: one of the environments, each its k8s/overlays/<env> and configs/<env>.yaml, in the namespace
# flights-<env> (a KFP multi-user profile: the runs' pods, the warehouse and the MLflow server share it).
ENVIRONMENTS := dev preprod prod
ENV ?=
DEPLOY_NAMESPACE = flights-$(ENV)
# A file of `<image> sha256:<digest>` lines (the release workflow writes it after pushing): the images are then
# referenced by digest, in the applied manifests and in the uploaded pipeline. Empty: by IMAGE_TAG.
IMAGE_DIGESTS ?=

# Every image the cluster uses: one per stage, the MLflow server's (in STAGES by default), plus the submit image
# (kfp SDK + pipeline.py; in STAGES or not).
CLUSTER_IMAGES = $(foreach image,$(filter-out submit,$(STAGES)) submit,$(IMAGE_REPO)/$(image):$(IMAGE_TAG))
CLUSTER_ENV = KIND=$(KIND) KUBECTL=$(KUBECTL) DOCKER=$(DOCKER) KIND_VERSION=$(KIND_VERSION) \
    KIND_CLUSTER=$(KIND_CLUSTER) KIND_NODE_IMAGE=$(KIND_NODE_IMAGE) KFP_VERSION=$(KFP_VERSION) \
    KFP_NAMESPACE=$(KFP_NAMESPACE) KFP_UI_PORT=$(KFP_UI_PORT) KUBE_CONTEXT=$(KUBE_CONTEXT) \
    CLUSTER_TIMEOUT=$(CLUSTER_TIMEOUT) SEED_TIMEOUT=$(SEED_TIMEOUT) OVERLAY=$(OVERLAY) K8S_BUILD=$(K8S_BUILD) \
    IMAGE_REPO=$(IMAGE_REPO) IMAGE_TAG=$(IMAGE_TAG)
KFP_FLAGS = --host $(KFP_HOST) --namespace $(KFP_NAMESPACE)
DEPLOY_ENV = $(subst OVERLAY=$(OVERLAY),OVERLAY=$(ENV),$(subst KFP_NAMESPACE=$(KFP_NAMESPACE),KFP_NAMESPACE=$(DEPLOY_NAMESPACE),$(CLUSTER_ENV)))$(DIGESTS_ENV)
DIGESTS_ENV = $(if $(IMAGE_DIGESTS), IMAGE_DIGESTS=$(IMAGE_DIGESTS))
REGISTRY = $(firstword $(subst /, ,$(IMAGE_REPO)))
need_registry = @[[ "$(IMAGE_REPO)" == */* && ( "$(REGISTRY)" == *.* || "$(REGISTRY)" == *:* || "$(REGISTRY)" == localhost ) ]] \
    || { echo "error: IMAGE_REPO=$(IMAGE_REPO) names no registry: pass the one make push (or the release) pushed to, e.g. IMAGE_REPO=ghcr.io/OWNER/flight-delay" >&2; exit 2; }
IMAGE_FLAGS = --image-repo $(IMAGE_REPO) --image-tag $(IMAGE_TAG)
REPLAY_FLAG = $(if $(REPLAY_YEAR),--replay-year $(REPLAY_YEAR))
KUBECTL_CMD = $(KUBECTL)$(if $(KUBE_CONTEXT), --context $(KUBE_CONTEXT)) --namespace $(KFP_NAMESPACE)
KUBECTL_DEPLOY = $(KUBECTL)$(if $(KUBE_CONTEXT), --context $(KUBE_CONTEXT))
need_kubectl = @command -v $(KUBECTL) >/dev/null 2>&1 || { echo "error: $(KUBECTL) not found on PATH: install kubectl (https://kubernetes.io/docs/tasks/tools/)" >&2; exit 1; }
need_kind = @command -v $(KIND) >/dev/null 2>&1 || { echo "error: $(KIND) not found on PATH: install kind $(KIND_VERSION) (https://kind.sigs.k8s.io/docs/user/quick-start/\#installation)" >&2; exit 1; }

.PHONY: cluster cluster-down ui warehouse load push submit schedule unschedule doctor cronjob cronjob-down k8s-manifests \
    deploy deploy-env scan

cluster: ## kind cluster + standalone KFP (KFP_VERSION), waits until ready, says how to open the UI
	$(CLUSTER_ENV) KFP_CLUSTER_SCOPED="$(KFP_CLUSTER_SCOPED)" KFP_PLATFORM="$(KFP_PLATFORM)" bash scripts/cluster/cluster-up.sh

cluster-down: ## Delete the kind cluster (KIND_CLUSTER) and everything in it
	$(need_kind)
	$(KIND) delete cluster --name $(KIND_CLUSTER)

# The MLflow forward runs in the background for as long as KFP's does (a missing server only costs its own line).
ui: ## Port-forward the KFP UI (and API) to http://localhost:KFP_UI_PORT and MLflow to :MLFLOW_PORT (Ctrl-C stops both)
	$(need_kubectl)
	@echo "KFP UI: http://localhost:$(KFP_UI_PORT), MLflow: http://127.0.0.1:$(MLFLOW_PORT) (Ctrl-C to stop)"
	@$(KUBECTL_CMD) port-forward svc/flights-mlflow $(MLFLOW_PORT):5000 >/dev/null & forward=$$!; \
	    trap 'kill $$forward 2>/dev/null' EXIT INT TERM; \
	    $(KUBECTL_CMD) port-forward svc/ml-pipeline-ui $(KFP_UI_PORT):80

warehouse: ## In-cluster PostgreSQL warehouse and MLflow server (+ their Secrets, submitter SA), seeded by a Job
	$(CLUSTER_ENV) bash scripts/cluster/warehouse.sh

load: ## Load the images of IMAGE_TAG (stages, mlflow, submit) into kind (after make build)
	$(CLUSTER_ENV) bash scripts/cluster/load-images.sh $(KIND_CLUSTER) $(CLUSTER_IMAGES)

push: ## Push the images of IMAGE_TAG (stages, mlflow, submit) to IMAGE_REPO (a registry)
	$(CLUSTER_ENV) bash scripts/cluster/push-images.sh $(IMAGE_REPO) $(CLUSTER_IMAGES)

submit: install ## Upload the pipeline (a version per revision) and start a run for RUN_DATE; WAIT=1 waits
	$(RUN) python pipeline.py submit $(DATE_FLAG) --pipeline $(PIPELINE) $(KFP_FLAGS) $(IMAGE_FLAGS) $(REPLAY_FLAG) $(if $(WAIT),--wait) $(if $(TIMEOUT),--timeout $(TIMEOUT))

schedule: install ## Create or update the daily recurring run SCHEDULE_NAME (CRON: six fields, UTC)
	$(RUN) python pipeline.py schedule --name $(SCHEDULE_NAME) --cron "$(CRON)" --pipeline $(PIPELINE) $(KFP_FLAGS) $(IMAGE_FLAGS) $(REPLAY_FLAG)

unschedule: install ## Remove the recurring run SCHEDULE_NAME
	$(RUN) python pipeline.py unschedule --name $(SCHEDULE_NAME) $(KFP_FLAGS)

# The images are looked for on the kind node only on kind: OVERLAY=managed (or KIND_CLUSTER=) has no kind node.
DOCTOR_KIND = $(if $(filter kind,$(OVERLAY)),$(KIND_CLUSTER))
doctor: install ## Preflight: KFP reachable, SDK/backend versions, images on the kind node (on kind), Secret, MLflow
	$(RUN) python pipeline.py doctor $(KFP_FLAGS) --kind-cluster "$(DOCTOR_KIND)" $(IMAGE_FLAGS) --tracking-uri $(TRACKING_URI)

cronjob: ## Deploy the CronJob alternative to make schedule (submits daily at 06:00 UTC from the cluster)
	$(need_kubectl)
	@$(KUBECTL_CMD) get serviceaccount flights-submitter >/dev/null 2>&1 || { echo "error: no ServiceAccount flights-submitter in $(KFP_NAMESPACE): run make warehouse first" >&2; exit 1; }
	$(CLUSTER_ENV) bash scripts/cluster/render.sh k8s/cronjob $(K8S_BUILD)/cronjob
	$(KUBECTL_CMD) apply -f $(K8S_BUILD)/cronjob/manifests.yaml

cronjob-down: ## Remove the CronJob (and its ConfigMaps)
	$(need_kubectl)
	$(KUBECTL_CMD) delete cronjob,configmap -l app.kubernetes.io/component=daily-submit --ignore-not-found

k8s-manifests: ## Render every manifest make applies, with IMAGE_REPO/IMAGE_TAG, into K8S_BUILD (to review)
	@for dir in k8s/overlays/$(OVERLAY) k8s/seed k8s/cronjob; do \
	    $(CLUSTER_ENV) bash scripts/cluster/render.sh $$dir $(K8S_BUILD)/$$(basename $$dir) || exit 1; done

# The check runs first, and under `make -n` too (+): a wrong ENV stops before anything is installed or applied.
deploy-env:
	+@case " $(ENVIRONMENTS) " in *" $(ENV) "*) ;; *) echo "error: ENV='$(ENV)' is not an environment: use make deploy ENV=dev, ENV=preprod or ENV=prod" >&2; exit 2;; esac

# The overlay rendered with the images (by digest with IMAGE_DIGESTS) before anything on the cluster changes; the
# namespace must exist (a KFP profile); the Secrets created once (the alerts one from $FLIGHTS_ALERT_WEBHOOK_URL, when
# set); the manifests applied; then the pipeline version uploaded and the environment's recurring run upserted
# (pipeline.py schedule does both, with configs/ENV.yaml's schedule and tracking server).
deploy: deploy-env install ## Deploy ENV=dev|preprod|prod: Secrets, k8s/overlays/ENV applied, pipeline version + schedule
	$(need_kubectl)
	$(need_registry)
	$(DEPLOY_ENV) bash scripts/cluster/render.sh k8s/overlays/$(ENV) $(K8S_BUILD)/$(ENV)
	@$(KUBECTL_DEPLOY) get namespace $(DEPLOY_NAMESPACE) -o name >/dev/null || { echo "error: can't find the namespace $(DEPLOY_NAMESPACE) on kubectl's current context (above): create it as a KFP profile, or pick the context with KUBE_CONTEXT=" >&2; exit 1; }
	$(DEPLOY_ENV) bash scripts/cluster/warehouse-secret.sh
	$(DEPLOY_ENV) bash scripts/cluster/alerts-secret.sh
	$(KUBECTL_DEPLOY) apply -f $(K8S_BUILD)/$(ENV)/manifests.yaml
	$(DIGESTS_ENV) $(RUN) python pipeline.py schedule --config configs/$(ENV).yaml --pipeline $(PIPELINE) \
	    --host $(KFP_HOST) --namespace $(DEPLOY_NAMESPACE) $(IMAGE_FLAGS) $(REPLAY_FLAG)

# What a release checks before it pushes anything (.github/workflows/release.yml): findings of HIGH or CRITICAL
# severity in docker/ or in what `make deploy` applies fail it; .trivyignore lists the false positives, with reasons.
scan: install ## trivy config on docker/ and every environment's manifests as make deploy renders them (K8S_BUILD)
	@for env in $(ENVIRONMENTS); do \
	    $(subst KFP_NAMESPACE=$(KFP_NAMESPACE),KFP_NAMESPACE=flights-$$env,$(CLUSTER_ENV))$(DIGESTS_ENV) \
	        bash scripts/cluster/render.sh k8s/overlays/$$env $(K8S_BUILD)/$$env || exit 1; done
	$(TRIVY) config --quiet --skip-check-update --ignorefile .trivyignore --severity HIGH,CRITICAL --exit-code 1 docker
	@for env in $(ENVIRONMENTS); do \
	    $(TRIVY) config --quiet --skip-check-update --ignorefile .trivyignore --severity HIGH,CRITICAL --exit-code 1 \
	        $(K8S_BUILD)/$$env/manifests.yaml || exit 1; done
