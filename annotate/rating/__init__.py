"""Blind pairwise rating of model outputs (issue 4): import, counterbalanced placement, rater page,
live researcher statistics, REST API and exports. Models are never named to raters."""
