"""Everything under `events/`, and durable writes: the folder layout, the log, the log
index, verification and listing."""
