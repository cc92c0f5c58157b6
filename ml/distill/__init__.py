"""Imitation (distillation) studies: a synthetic fact world, a style-driven rater, the study itself."""
