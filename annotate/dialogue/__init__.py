"""Dialogue play: people play the LMRL-Gym text games (or their counterpart) in the browser."""
