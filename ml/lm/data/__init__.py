"""Data files for ml.lm: the built-in tiny corpus and the script that generates it."""
