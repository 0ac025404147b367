"""speech_recognition: turns what residents say into LiveSpeech on /humans/voices/<voice_id>/speech.

Two modes. `text` (the fast simulation): the simulated residents' words arrive as text on /sim/speech_in
and are published when the utterance ends on the node clock. `audio`: sound from a microphone (or the
simulated room, which synthesises each resident's lines in their own voice over a noise floor) goes
through VAD, end-of-speech detection tuned per resident and a recogniser for the resident's language
(robot/nodes/hearing.py). In both, input is muted while the robot speaks (/robot_speaking), so the robot
never answers itself; in audio mode a resident who talks over the robot is announced as a barge-in, and in
text mode so are words the urgency detector hears as a call for help (they are heard, and stop the robot). The
simulated residents (text mode, and the simulated room) are each in their own place: there only the resident
the robot addresses (/speech_synthesis/spoken) hears it, and the others are listened to meanwhile.
When the dialogue asks a resident something it says which answers it expects (/dialogue/expected_answers):
in audio mode their next utterance is decoded with the answers no intent covers (a questionnaire's options)
added to the resident's grammar, or, with `context_grammar`, against a grammar of the expected answers alone
(robot/core/grammar.py).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rclpy.duration import Duration
from rclpy.node import Node
from rclpy.publisher import Publisher
from rclpy.time import Time
from std_msgs.msg import Bool, String

from carebot_interfaces.msg import ExpectedAnswers, LiveSpeech, RobotSpeech, SimulatedUtterance
from robot.core.audio import Voice
from robot.core.endpointing import EndpointSettings, SpeechEnded, SpeechStarted
from robot.core.grammar import context_phrases, normalised_phrases
from robot.core.listening import BargeIn, Heard, ListenerEvent, ListenerSettings, NotUnderstood, Partial, Unheard
from robot.core.profile import Home
from robot.adapters.yaml_urgency import load_detector
from robot.core.urgency import Band
from robot.nodes.common import declare_profiles_dir, load_home_from_parameters
from robot.nodes.convert.names import topic_id
from robot.nodes.hearing import HearingWorker, RecogniserUsage, RobotSpeaking, Speaker, TimedRecognisers, TimingLog
from robot.nodes.params import declare
from robot.rosenv import run_node

RELIABLE_DEPTH = 50
PUMP_PERIOD_S = 0.02


@dataclass
class _Hearing:
    utterance: SimulatedUtterance
    ends_at: Time


class SpeechRecognitionNode(Node):
    def __init__(self, **node_options: Any) -> None:
        super().__init__("speech_recognition", **node_options)
        self._mode = declare(self, "mode", "text", "input: text (simulated residents' words on /sim/speech_in) "
                             "or audio (microphone or simulated room, through VAD and a recogniser)", read_only=True)
        if self._mode not in ("text", "audio"):
            raise ValueError(f"speech_recognition: parameter mode: expected 'text' or 'audio', got {self._mode!r}")
        self._confidence = declare(self, "text_confidence", 0.95,
                                   "confidence reported for text-mode results (0..1)", 0.0, 1.0)
        self._robot = RobotSpeaking(False, 0)   # text mode: simulated residents, each in their own place
        self._hearing: list[_Hearing] = []
        self._speech_publishers: dict[str, Publisher] = {}
        self._speaking_publishers: dict[str, Publisher] = {}
        self._audio: AudioHearing | None = None
        if self._mode == "audio":
            self._audio = AudioHearing(self, load_home_from_parameters(self))
            profiles_dir = Path(self.get_parameter("profiles_dir").value)
        else:
            profiles_dir = declare_profiles_dir(self)
        self._urgency = load_detector(profiles_dir)
        self._barge_in_pub = self.create_publisher(String, "~/barge_in", 10)
        self.create_subscription(SimulatedUtterance, "/sim/speech_in", self._on_utterance, RELIABLE_DEPTH)
        self.create_subscription(Bool, "/robot_speaking", self._on_robot_speaking, 10)
        self.create_subscription(RobotSpeech, "/speech_synthesis/spoken", self._on_robot_spoke, RELIABLE_DEPTH)
        self.create_timer(0.05, self._finish_due_utterances)

    def destroy_node(self) -> None:
        if getattr(self, "_audio", None) is not None:
            self._audio.close()
        super().destroy_node()

    # ---- text mode (and residents whose language has no recogniser) ------------------------------
    def _on_robot_speaking(self, msg: Bool) -> None:
        self._robot = RobotSpeaking(msg.data, self.get_clock().now().nanoseconds)   # to whom: not known yet
        if self._audio is not None:
            self._audio.robot_speaking(self._robot)

    def _on_robot_spoke(self, msg: RobotSpeech) -> None:
        self._robot = RobotSpeaking.to(msg.person_id, self.get_clock().now().nanoseconds)
        if self._audio is not None:
            self._audio.robot_addresses(self._robot)

    def _on_utterance(self, utterance: SimulatedUtterance) -> None:
        if self._audio is not None and self._audio.plays(utterance):
            return
        if self._robot.heard_on(utterance.voice_id) and not self._calls_for_help(utterance):
            self.get_logger().info(f"muted while the robot speaks to them; dropped {utterance.voice_id}'s utterance")
            return
        if self._robot.heard_on(utterance.voice_id):
            self.get_logger().info(f"{utterance.voice_id} may be calling for help over the robot: barge-in")
            self.publish_barge_in(utterance.voice_id)
        ends_at = Time.from_msg(utterance.header.stamp) + Duration(nanoseconds=int(utterance.duration_s * 1e9))
        self._hearing.append(_Hearing(utterance, ends_at))
        self.publish_speaking(utterance.voice_id, True)

    def _calls_for_help(self, utterance: SimulatedUtterance) -> bool:
        """Whether the urgency detector hears a call for help (sure or unsure) in the words: those are heard even
        while the robot speaks, and stop it, as a person talking over it is heard in audio mode."""
        return self._urgency.assess(utterance.text, utterance.locale).band is not Band.NONE

    def _finish_due_utterances(self) -> None:
        now = self.get_clock().now()
        due = [h for h in self._hearing if h.ends_at <= now]
        self._hearing = [h for h in self._hearing if h.ends_at > now]
        for hearing in due:
            said = hearing.utterance
            self.publish_speaking(said.voice_id, False)
            self.publish_speech(said.voice_id, LiveSpeech(final=said.text, confidence=float(self._confidence),
                                                          locale=said.locale), hearing.ends_at.nanoseconds)

    # ---- publishing (any thread) -----------------------------------------------------------------
    def publish_speech(self, voice_id: str, result: LiveSpeech, stamp_ns: int) -> None:
        result.voice_id = result.person_id = voice_id
        result.header.stamp = Time(nanoseconds=stamp_ns).to_msg()
        self._publisher(self._speech_publishers, voice_id, "speech", LiveSpeech).publish(result)

    def publish_speaking(self, voice_id: str, speaking: bool) -> None:
        self._publisher(self._speaking_publishers, voice_id, "is_speaking", Bool).publish(Bool(data=speaking))

    def publish_barge_in(self, voice_id: str) -> None:
        """Someone talks over the robot: speech_synthesis stops at once (it listens on this topic)."""
        self._barge_in_pub.publish(String(data=voice_id))

    def _publisher(self, cache: dict[str, Publisher], voice_id: str, leaf: str, msg_type: type) -> Publisher:
        if voice_id not in cache:
            cache[voice_id] = self.create_publisher(msg_type, f"/humans/voices/{topic_id(voice_id)}/{leaf}",
                                                    RELIABLE_DEPTH)
        return cache[voice_id]


class AudioHearing:
    """Audio mode of the node: a source of frames, a worker that listens, and what it heard published."""

    def __init__(self, node: SpeechRecognitionNode, home: Home) -> None:
        from robot.adapters.recognisers import RecogniserChoice
        from robot.adapters.webrtc_vad import WebRtcVad

        self._node = node
        self._source_kind = declare(node, "source", "simulated", "audio source: simulated (the simulated room) "
                                    "or microphone (PortAudio)", read_only=True)
        self._residents_apart = self._source_kind == "simulated"   # each resident on their own channel
        aggressiveness = declare(node, "vad_aggressiveness", 3, "WebRTC VAD mode 0..3 (3 = strictest)", 0, 3)
        energy_gate = declare(node, "energy_gate", True, "count a frame as speech only when it stands out from "
                              "the background (keeps the VAD usable in babble)")
        self._log = TimingLog(declare(node, "timing_log", "", "JSON-lines file for `carebot bench speech`; "
                                      "empty = off", read_only=True))
        self._use_context = declare(node, "context_grammar", False, "decode the answer to a question against the "
                                    "answers the dialogue expects alone (/dialogue/expected_answers), not the "
                                    "resident's grammar with them; experimental", read_only=True)
        self._exemplars: dict[str, dict[str, tuple[str, ...]]] = {}   # language -> intent -> sentences
        self._choice = RecogniserChoice()
        self._usage = RecogniserUsage()
        speakers = self._speakers = self._find_speakers(home)
        settings = ListenerSettings(endpoint=EndpointSettings(energy_gate=energy_gate))
        self._worker = HearingWorker(lambda: WebRtcVad(aggressiveness), TimedRecognisers(self._choice, self._usage),
                                     settings, speakers, self._on_event)
        self._references: dict[str, list[tuple[int, str]]] = {}
        self._source = self._open_source(speakers)
        node.create_subscription(ExpectedAnswers, "/dialogue/expected_answers", self.expect, RELIABLE_DEPTH)

    def plays(self, utterance: SimulatedUtterance) -> bool:
        """Simulated room: play a resident's words into the microphone; False if they must go as text."""
        if utterance.voice_id not in self._voices:
            return False
        from simulation.sim_microphone import paced

        start_ns = Time.from_msg(utterance.header.stamp).nanoseconds
        voice = paced(self._voices[utterance.voice_id], utterance.text, utterance.duration_s)
        played = self._source.say(utterance.voice_id, utterance.text, voice, start_ns)
        self._references.setdefault(utterance.voice_id, []).append((played.voiced_start_ns, utterance.text))
        return True

    def expect(self, expected: ExpectedAnswers) -> None:
        """The dialogue asked a resident something: hear their answer with (or, with `context_grammar`,
        against) the answers it expects."""
        speaker = self._speakers.get(expected.person_id)
        if speaker is None:
            return
        phrases, context = normalised_phrases(expected.phrases), False
        if self._use_context and (expected.intents or phrases):
            try:
                phrases = context_phrases(expected.intents, self._exemplars_for(speaker), phrases)
                context = True
            except (OSError, ValueError) as error:   # a bad message or exemplar file must not stop the hearing
                self._node.get_logger().error(f"{speaker.person_id}: no context grammar, general one kept: {error}")
        valid_for_ns = int(max(expected.valid_for_s, 0.0) * 1e9)
        self._worker.expect(speaker.person_id, phrases, valid_for_ns, self._node.get_clock().now().nanoseconds,
                            context)

    def _exemplars_for(self, speaker: Speaker) -> dict[str, tuple[str, ...]]:
        """The exemplar sentences of the speaker's language by intent label, read once per language."""
        from robot.adapters.embedding_nlu import load_exemplars
        from robot.adapters.recognisers import language_of

        language = language_of(speaker.locale)
        if language not in self._exemplars:
            path = Path(self._node.get_parameter("profiles_dir").value) / "exemplars" / f"{language}.yaml"
            exemplars = load_exemplars(path)
            self._exemplars[language] = {intent.value: sentences for intent, sentences in exemplars.intents.items()}
        return self._exemplars[language]

    def robot_speaking(self, robot: RobotSpeaking) -> None:
        """A microphone hears the robot whoever it talks to; the simulated room's residents are in their
        own places, so there the robot is heard by the one it addresses (robot_addresses)."""
        if robot.speaking and self._residents_apart:
            return
        self._worker.robot_speaking(robot)

    def robot_addresses(self, robot: RobotSpeaking) -> None:
        """The robot began an utterance, heard in the place of the one it addresses (RobotSpeaking.to)."""
        if self._residents_apart:
            self._worker.robot_speaking(robot)

    def close(self) -> None:
        if self._source is not None:
            self._source.stop()
        self._worker.close()

    # ---- set-up ----------------------------------------------------------------------------------
    def _find_speakers(self, home: Home) -> dict[str, Speaker]:
        """Each resident with a recogniser for their language; the others are named in the log."""
        from robot.adapters.yaml_understanding import load_lexicon
        from robot.core.grammar import command_phrases, urgent_phrases

        understanding = Path(self._node.get_parameter("profiles_dir").value) / "understanding"
        speakers: dict[str, Speaker] = {}
        unheard: dict[str, list[str]] = {}
        for person_id, profile in home.residents.items():
            engine = self._choice.engine_for(profile.locale)
            if engine is None:
                unheard.setdefault(profile.locale, []).append(person_id)
                continue
            lexicon_file = understanding / f"{profile.language}.yaml"
            phrases: tuple[str, ...] = ()
            urgent: frozenset[str] = frozenset()
            if lexicon_file.exists():
                lexicon = load_lexicon(lexicon_file)
                phrases, urgent = command_phrases(lexicon, profile.contacts), urgent_phrases(lexicon)
            speakers[person_id] = Speaker(person_id, profile.locale, phrases, profile.speech.end_of_speech_s, engine,
                                          urgent)
        for locale, people in unheard.items():
            self._node.get_logger().error(f"{', '.join(people)}: {self._choice.missing_model_message(locale)} "
                                          f"(in simulation their words still arrive as text)")
        return speakers

    def _open_source(self, speakers: dict[str, Speaker]) -> Any:
        self._voices: dict[str, Voice] = {}   # residents played into the simulated room
        if self._source_kind == "simulated":
            return self._open_simulated_room(speakers)
        if self._source_kind == "microphone":
            return self._open_microphone(speakers)
        raise ValueError(f"speech_recognition: parameter source: expected 'simulated' or 'microphone', "
                         f"got {self._source_kind!r}")

    def _open_simulated_room(self, speakers: dict[str, Speaker]) -> Any:
        from simulation.resident_voices import resident_synthesiser
        from simulation.sim_microphone import RoomSettings, SimulatedMicrophone, resident_voice

        node = self._node
        speech = declare(node, "speech_dbfs", -26.0, "simulated room: residents' speech level (dBFS)", -60.0, -6.0)
        noise_floor = declare(node, "noise_floor_dbfs", -56.0, "simulated room: noise floor level (dBFS)",
                              -90.0, -20.0)
        self._voices = {pid: resident_voice(pid, s.locale) for pid, s in speakers.items()}
        room = SimulatedMicrophone(resident_synthesiser(),
                                   RoomSettings(speech_dbfs=speech, noise_floor_dbfs=noise_floor))
        room.start(self._worker.hear)
        node.create_timer(PUMP_PERIOD_S, lambda: room.pump(node.get_clock().now().nanoseconds))
        return room

    def _open_microphone(self, speakers: dict[str, Speaker]) -> Any:
        from robot.adapters.sounddevice_microphone import SounddeviceMicrophone

        node = self._node
        device = declare(node, "device", "", "PortAudio input device name or index; empty = the default",
                         read_only=True)
        room_resident = declare(node, "room_resident", "", "resident the microphone's speech is attributed to",
                                read_only=True)
        if room_resident not in speakers:
            raise ValueError(f"speech_recognition: parameter room_resident: expected one of {sorted(speakers)} "
                             f"(residents with a speech model), got {room_resident!r}")
        microphone = SounddeviceMicrophone(device or None, room_resident, lambda: node.get_clock().now().nanoseconds)
        microphone.start(self._worker.hear)
        return microphone

    # ---- what the listeners heard (worker thread) --------------------------------------------------
    def _on_event(self, speaker: Speaker, event: ListenerEvent, wall_ns: int) -> None:
        node, voice = self._node, speaker.person_id
        if isinstance(event, SpeechStarted):
            node.publish_speaking(voice, True)
        elif isinstance(event, SpeechEnded):   # before the words are recognised: the dialogue may fill the wait
            node.publish_speaking(voice, False)
        elif isinstance(event, Partial) and event.hypothesis.text:
            node.publish_speech(voice, LiveSpeech(incremental=event.hypothesis.text,
                                                  confidence=event.hypothesis.confidence, locale=speaker.locale),
                                event.at_ns)
        elif isinstance(event, Heard):
            self._publish_heard(speaker, event, wall_ns)
        elif isinstance(event, NotUnderstood):
            self._publish_not_understood(speaker, event)
        elif isinstance(event, BargeIn):
            node.get_logger().info(f"{voice} talks over the robot: barge-in")
            node.publish_barge_in(voice)

    def _publish_heard(self, speaker: Speaker, event: Heard, wall_ns: int) -> None:
        hypothesis = event.hypothesis
        self._node.publish_speech(speaker.person_id, LiveSpeech(
            final=hypothesis.text, confidence=hypothesis.confidence, locale=event.locale,
            constrained=event.constrained), event.ended_ns)
        published_ns = time.monotonic_ns()
        self._log.heard(speaker, event, wall_ns, published_ns, self._reference(speaker.person_id, event.ended_ns),
                        self._usage)

    def _publish_not_understood(self, speaker: Speaker, event: NotUnderstood) -> None:
        if event.reason is Unheard.INTERRUPTED:   # no end of speech was announced for it
            self._node.publish_speaking(speaker.person_id, False)
        if event.reason is Unheard.EMPTY:   # someone spoke, nothing usable: the dialogue asks again
            self._node.publish_speech(speaker.person_id, LiveSpeech(final="", confidence=0.0, locale=event.locale),
                                      event.ended_ns)
        else:
            self._node.get_logger().warning(f"{speaker.person_id}: speech not recognised ({event.reason.value}): "
                                            f"{event.detail}")

    def _reference(self, channel: str, ended_ns: int) -> str | None:
        """What the simulated resident really said in the utterance that ended at `ended_ns`."""
        said = [(start, text) for start, text in self._references.get(channel, []) if start <= ended_ns]
        if not said:
            return None
        self._references[channel] = [item for item in self._references[channel] if item[0] > said[-1][0]]
        return said[-1][1]


def main(args: list[str] | None = None) -> None:
    run_node(SpeechRecognitionNode, args)


if __name__ == "__main__":
    main()
