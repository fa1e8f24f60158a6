"""Training: configs, losses and metrics, one run's session, and the background trainer."""
