"""CALM (Snell et al.): goal-aware dialogue agents for AirDialogue-style flight booking, no Django."""
