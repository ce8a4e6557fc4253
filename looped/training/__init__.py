"""Training: step-dependent supervision, length curricula, schedules, checkpoints and the loop itself."""
