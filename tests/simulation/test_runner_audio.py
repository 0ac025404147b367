"""What `carebot sim --audio` asks of the graph: real-time speech, a clock that leaves the CPU to the speech
nodes, and the speech nodes on the simulated room and speaker with their timing logs."""

from __future__ import annotations

from pathlib import Path

from simulation import runner


def node_argv(commands: list, name: str) -> str:
    return " ".join(next(command.argv for command in commands if command.name == name))


def test_audio_mode_ticks_the_clock_once_per_audio_frame_at_real_time_while_anyone_speaks(tmp_path: Path) -> None:
    prepared = runner.prepare(runner.scenario_path("speech_bench"), None, None, tmp_path / "run")
    audio = runner.simulation_commands(prepared, None, quiet=True, audio=True)
    clock = node_argv(audio, runner.CLOCK_NODE)
    assert "tick_hz:=50.0" in clock and "active_step_s:=0.02" in clock
    hearing = node_argv(audio, "speech_recognition")
    assert "mode:='audio'" in hearing and "source:='simulated'" in hearing
    assert str(tmp_path / "run" / "speech_recognition.timing.jsonl") in hearing
    text = runner.simulation_commands(prepared, None, quiet=True)
    assert "tick_hz" not in node_argv(text, runner.CLOCK_NODE)
    assert "mode:='audio'" not in node_argv(text, "speech_recognition")
