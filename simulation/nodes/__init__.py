"""Simulation nodes, one per module, each run as `python -m simulation.nodes.<name>`."""
