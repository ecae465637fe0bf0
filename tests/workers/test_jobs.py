"""Every job the domain names has a worker function of that name, with a distinct id."""

from __future__ import annotations

import uuid

from domain import jobs
from workers.jobs import FUNCTIONS


def test_every_named_job_has_its_worker_function() -> None:
    names = {function.__name__ for function in FUNCTIONS}
    for make in jobs.JOBS:
        job = make(uuid.uuid4())
        assert job.function in names, f"{make.__name__}: no worker function {job.function!r}"


def test_a_job_id_names_the_job_and_its_object() -> None:
    first, second = uuid.uuid4(), uuid.uuid4()
    for make in jobs.JOBS:
        assert make(first).id == make(first).id  # queued twice: one job
        assert make(first).id != make(second).id
        assert str(first) in make(first).id and make(first).function in make(first).id
