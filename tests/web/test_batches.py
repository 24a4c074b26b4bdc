"""Writes handed in at once are written together (web/batches.py), each with its own answer."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest

from web.batches import Batches, Waiting


@dataclass(eq=False)
class Item(Waiting):
    value: int


class Recorder:
    """A write that takes a moment, remembers its batches, and refuses negative values."""

    def __init__(self, fail: bool = False) -> None:
        self.batches: list[list[int]] = []
        self.fail = fail

    async def write(self, batch: list[Item]) -> None:
        self.batches.append([item.value for item in batch])
        await asyncio.sleep(0.02)
        if self.fail:
            raise RuntimeError("the database went away")
        for item in batch:
            if item.value < 0:
                item.done.set_exception(ValueError(f"{item.value} is negative"))
            else:
                item.done.set_result(item.value * 10)


async def test_what_comes_while_a_batch_is_written_goes_in_the_next_one_each_with_its_answer():
    recorder = Recorder()
    batches = Batches(recorder.write)
    first = asyncio.create_task(batches.submit(Item(1)))
    await asyncio.sleep(0.005)  # the first is being written: the others wait together
    answers = await asyncio.gather(first, *(batches.submit(Item(n)) for n in range(2, 6)))
    assert answers == [10, 20, 30, 40, 50]
    assert recorder.batches == [[1], [2, 3, 4, 5]]


async def test_a_refused_write_gets_its_own_error_and_the_others_their_answers():
    batches = Batches(Recorder().write)
    answers = await asyncio.gather(*(batches.submit(Item(n)) for n in (1, -2, 3)), return_exceptions=True)
    assert answers[0] == 10 and answers[2] == 30
    assert isinstance(answers[1], ValueError)


async def test_a_failed_batch_fails_every_write_in_it():
    batches = Batches(Recorder(fail=True).write)
    answers = await asyncio.gather(*(batches.submit(Item(n)) for n in (1, 2)), return_exceptions=True)
    assert all(isinstance(answer, RuntimeError) for answer in answers)


async def test_a_request_that_gives_up_before_its_turn_is_not_written():
    recorder = Recorder()
    batches = Batches(recorder.write)
    first = asyncio.create_task(batches.submit(Item(1)))
    await asyncio.sleep(0.005)
    given_up = asyncio.create_task(batches.submit(Item(2)))
    await asyncio.sleep(0.005)
    given_up.cancel()
    assert await first == 10
    with pytest.raises(asyncio.CancelledError):
        await given_up
    assert await batches.submit(Item(3)) == 30
    assert recorder.batches == [[1], [3]]


async def test_take_decides_what_goes_in_a_batch():
    recorder = Recorder()
    batches = Batches(recorder.write, take=lambda waiting: (waiting[:2], waiting[2:]))
    first = asyncio.create_task(batches.submit(Item(1)))
    await asyncio.sleep(0.005)
    await asyncio.gather(first, *(batches.submit(Item(n)) for n in range(2, 7)))
    assert recorder.batches == [[1], [2, 3], [4, 5], [6]]
