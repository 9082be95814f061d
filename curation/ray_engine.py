"""The shard step on Ray, for runs that outgrow one machine (`engine: ray`).

Each shard is one Ray task running the same function as the process engine
(`run.shards.run_shard`): the task reads its inputs and writes and commits its shard itself, so
only manifest entries (small dicts) pass through the driver. On a cluster (`ray_address`) the
inputs and the output folder must be on storage every node can reach."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from curation.config import RunConfig
from curation.errors import ConfigError
from curation.run.engine import OnDone
from curation.run.shards import ShardSpec, Step, run_shard

MAX_RETRIES = 2  # a task whose worker died is run again (the shard commits once: by rename)


def run_on_ray(specs: list[ShardSpec], cfg: RunConfig, root: Path, step: Step,
               on_done: OnDone) -> dict[str, Any]:
    """Run *specs* as Ray tasks on a local Ray (`workers` CPUs) or the cluster at
    `ray_address`; *on_done* gets each shard's entry as it commits. Returns the cluster's
    address and size, for the run's stats."""
    try:
        import ray
    except ImportError:
        raise ConfigError("engine: ray needs Ray: pip install 'curation[ray]'") from None
    started = not ray.is_initialized()
    if started:
        init: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False,
                                "configure_logging": False, "logging_level": logging.WARNING}
        if cfg.ray_address:
            init["address"] = cfg.ray_address
        else:
            init["num_cpus"] = cfg.workers
        ray.init(**init)
    try:
        task = ray.remote(num_cpus=1, max_retries=MAX_RETRIES)(run_shard)
        cfg_ref = ray.put(cfg)
        pending = {task.remote(spec, cfg_ref, str(root), step): spec for spec in specs}
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            for ref in done:
                on_done(pending.pop(ref), ray.get(ref))
        nodes: list[dict[str, Any]] = ray.nodes()  # type: ignore[no-untyped-call]
        return {"ray_address": ray.get_runtime_context().gcs_address,
                "ray_nodes": len([n for n in nodes if n.get("Alive")])}
    finally:
        if started:
            ray.shutdown()
