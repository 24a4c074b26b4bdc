"""Programmes (structures de mentorat), their members, self-assessments against a release,
improvement plans, and the field evidence their submitted answers give the framework."""
