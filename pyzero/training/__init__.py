"""Training end to end: learner, checkpoints, run directories, evaluation, dashboard."""
