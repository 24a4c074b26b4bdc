"""What many tests share: the starter framework's slug and content hash, the password of every test
account, and the amendment the API tests propose. Nothing here imports the application or sets the
environment: tests/e2e/seed.py, run as a script, imports it too."""

from __future__ import annotations

SLUG = "qualite-mentorat"
STARTER_HASH = "7602360d3be1def3bd65c1ac06ea2015d087e2fc8256f3033534fd7d25e9fbc4"  # release 1.0.0
PASSWORD = "un mot de passe solide"

# An amendment of REC-1 on release 1.0.0, as POST /api/v1/frameworks/{SLUG}/proposals takes it.
# Shared: copy it ({**AMENDMENT, ...}) rather than change it.
AMENDMENT = {
    "kind": "amend",
    "base_version": "1.0.0",
    "indicator": "REC-1",
    "title": "Dire la durée d'engagement en mois",
    "rationale": "Les candidats comprennent mieux **six mois** que « durée minimale ».",
    "content": {"statement": "Les supports de recrutement indiquent la durée minimale en mois."},
}
