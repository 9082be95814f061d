"""How `curation run` runs: shards with manifests, engines, resume, the output folder's marker
and lock, progress."""
