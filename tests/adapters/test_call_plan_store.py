"""Tier 1: planned calls are kept across restarts, and a damaged file is named, not guessed at."""

from __future__ import annotations

import datetime as dt
import wave
from pathlib import Path

import numpy as np
import pytest

from robot.adapters.call_plan_store import CallPlanFileError, CallPlanStore
from robot.adapters.message_audio import write_message_wav
from robot.core.call_plans import PlannedCall, PlanReason

AT = dt.datetime(2026, 3, 2, 17, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))


def test_plans_round_trip_with_their_time_zone_and_message(tmp_path: Path) -> None:
    store = CallPlanStore(tmp_path / "state" / "call_plans.json")
    assert store.load() == ()
    plans = (PlannedCall("r-1", "tom", AT, PlanReason.BUSY_RETRY, 2),
             PlannedCall("r-2", "ana", AT, PlanReason.MESSAGE, 1, "Feliz cumpleaños, cariño"))
    store.save(plans)
    assert CallPlanStore(store.path).load() == plans
    store.save(plans[1:])
    assert CallPlanStore(store.path).load() == plans[1:]
    assert not store.path.with_name("call_plans.json.tmp").exists()


@pytest.mark.parametrize("content, named", [
    ("{not json", "cannot read"),
    ('{"person_id": "r-1"}', "expected a list"),
    ('[{"person_id": "r-1", "contact_id": "tom", "at": "2026-03-02T17:00:00", "reason": "busy_retry", '
     '"attempt": 2, "message": ""}]', "entry 0: field at"),
    ('[{"person_id": "r-1", "contact_id": "tom", "at": "2026-03-02T17:00:00Z", "reason": "whenever", '
     '"attempt": 2, "message": ""}]', "entry 0: field at/reason"),
    ('[{"person_id": "r-1"}]', "entry 0: expected the fields"),
])
def test_a_damaged_plans_file_is_reported_with_file_entry_and_field(tmp_path: Path, content: str, named: str) -> None:
    path = tmp_path / "call_plans.json"
    path.write_text(content)
    with pytest.raises(CallPlanFileError, match=named) as error:
        CallPlanStore(path).load()
    assert str(path) in str(error.value)


def test_a_message_for_family_is_spoken_into_a_wav_file(tmp_path: Path) -> None:
    path = write_message_wav("Hello Tom, your mother sends her love.", "en-GB", tmp_path / "messages")
    with wave.open(str(path)) as wav:
        assert (wav.getnchannels(), wav.getsampwidth()) == (1, 2)
        samples = np.frombuffer(wav.readframes(wav.getnframes()), dtype=np.int16)
        seconds = wav.getnframes() / wav.getframerate()
    assert 1.0 < seconds < 10.0
    assert np.sqrt(np.mean(samples.astype(float) ** 2)) > 300   # speech, not silence
