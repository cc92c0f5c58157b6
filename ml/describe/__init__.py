"""Describing how two text distributions differ (D3: Zhong, Snell, Klein, Steinhardt 2022).

A proposer writes candidate hypotheses ("mentions a number") from samples of D1 and D0; a verifier
judges each hypothesis on held-out samples; hypotheses are ranked by validity, the rate at which
they hold on D1 minus the rate on D0, with bootstrap intervals and one-sided tests. Entry point:
`ml.describe.pipeline.describe`, and `describe.run` in the experiment registry.
"""
