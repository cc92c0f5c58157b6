"""Reinforcement learning for language agents: text environments (envs/) and, later, algorithms."""
