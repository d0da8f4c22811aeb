#!/bin/sh
# One-shot set-up of a Prefect server for paperpulse workers; run from the repository root
# (the image's /app) with PREFECT_API_URL set. Every step is idempotent: safe to re-run.
# Used by docker-compose.yml's bootstrap service and by tests/flows/test_scale_out.py.
set -eu
prefect work-pool create paperpulse --type process --overwrite
# Each paced host's shared budget (one Prefect global rate limit per host), from this
# environment's config: the same function every flow run applies (flows/shared_pacing.py).
python -m paperpulse.flows.shared_pacing
prefect deploy --all --prefect-file deploy/prefect.yaml
