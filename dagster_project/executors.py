"""Which Dagster executor runs the steps of a run, chosen by NHS_WAREHOUSE_EXECUTOR.

- `in_process` (default): every step in the run's own process. A step's process start (imports, GX)
  costs seconds here and the DuckDB writer pool runs writing steps one at a time anyway.
- `multiprocess`: a process per step, on the run's host.
- `k8s`: a Kubernetes Job per step (dagster-k8s, `uv sync --group deploy`); configure it with the
  run config's `execution.config` (image, namespace, resources), see deploy/README.md.
- `celery`: steps as Celery tasks on a broker's workers (dagster-celery, `uv sync --group deploy`);
  broker and backend from the run config's `execution.config` or DAGSTER_CELERY_BROKER_HOST.

The distributed executors only pay off for steps that do not write the DuckDB file (they wait for
one writer slot like any other); see deploy/README.md for what a team gains from each.
"""

from __future__ import annotations

from dagster import ExecutorDefinition, in_process_executor, multiprocess_executor

EXECUTORS = ("in_process", "multiprocess", "k8s", "celery")


def executor_for(name: str) -> ExecutorDefinition:
    if name == "in_process":
        return in_process_executor
    if name == "multiprocess":
        return multiprocess_executor
    if name == "k8s":
        from dagster_k8s import k8s_job_executor

        return k8s_job_executor
    if name == "celery":
        from dagster_celery import celery_executor

        return celery_executor
    raise ValueError(f"NHS_WAREHOUSE_EXECUTOR={name!r}: expected one of {', '.join(EXECUTORS)}")
