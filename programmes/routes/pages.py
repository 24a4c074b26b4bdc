"""Every HTML page of the programmes, for the app's pages router."""

from __future__ import annotations

from programmes.routes.assessment_pages import (
    action_update,
    assessment_action,
    assessment_page,
    assessment_share,
    assessment_submission,
    assessment_successor,
    share_link_revocation,
)
from programmes.routes.changes_page import changes_page
from programmes.routes.programme_pages import (
    programme_assessment,
    programme_create,
    programme_member,
    programme_member_removal,
    programme_page,
    programmes_page,
)
from programmes.routes.theme_form import theme_form, theme_save

PROGRAMME_PAGES = [
    programmes_page,
    programme_create,
    programme_page,
    programme_member,
    programme_member_removal,
    programme_assessment,
    changes_page,
    assessment_page,
    assessment_submission,
    assessment_successor,
    assessment_share,
    share_link_revocation,
    assessment_action,
    action_update,
    theme_form,
    theme_save,
]
