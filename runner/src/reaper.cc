// Work in progress: filled in by the process-control change.
