"""Anyone holding the database can check that a submitted assessment is the one that was submitted:
recompute its content hash (programmes/submission.py)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass

from programmes.assessments import SUBMITTED, Releases, assessed_release, assessment_rows, build_view
from programmes.submission import assessment_hash
from programmes.tables import Answer, Assessment

BATCH = 500  # assessments whose answers are read in one query


@dataclass(frozen=True)
class AssessmentCheck:
    id: int
    programme: str
    release: str
    stored: str
    computed: str

    @property
    def ok(self) -> bool:
        return self.stored == self.computed


async def check_assessment_hashes(releases: Releases) -> AsyncIterator[AssessmentCheck]:
    """One check per submitted assessment, oldest first; one query per BATCH of them."""
    rows = await assessment_rows().where(Assessment.status == SUBMITTED).order_by(Assessment.id)
    for start in range(0, len(rows), BATCH):
        batch = rows[start : start + BATCH]
        answers: dict[int, list[dict]] = defaultdict(list)
        for answer in (
            await Answer.select()
            .where(Answer.assessment.is_in([row["id"] for row in batch]))
            .output(load_json=True)
        ):
            answers[answer["assessment"]].append(answer)
        for row in batch:
            release, local = await assessed_release(row, releases)
            computed = assessment_hash(build_view(row, release, answers[row["id"]], local=local))
            yield AssessmentCheck(
                row["id"], row["programme_name"], release.version, row["content_hash"], computed
            )
