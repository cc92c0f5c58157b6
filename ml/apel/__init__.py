"""APEL: label SQL programs indirectly by picking outputs on small synthesized databases.

Zhong, Snell, Klein, Eisner. The entry point for the web app is `ml.apel.session.ApelSession`;
`python -m ml.apel.bench` measures the whole loop on Spider-format data with a simulated annotator.
"""
