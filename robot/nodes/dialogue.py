"""dialogue: runs every resident's conversation (robot.core.dialogue) over ROS.

Hears /humans/voices/<id>/speech and /humans/persons/<id>/engagement_status for each resident of the
home, and /medication/reminders. Speaks through the Say action (one utterance at a time, in order),
places calls through the PlaceCall action, and publishes intents, turns, sessions, reminder answers,
staff alerts, what it expects each resident to answer (/dialogue/expected_answers, for context grammars),
whether it is working out what someone said (/dialogue/thinking: a robot may show it; a simulated clock
slows to wall-clock speed meanwhile) and its own deadlines (unanswered-question timeouts) for the simulated clock.

Understanding runs on a worker thread (the sentence encoder takes 20-60 ms per utterance on a robot's CPU),
one utterance at a time in arrival order; the result comes back to the executor through a guard condition,
so the node keeps serving its timers and actions meanwhile. The model loads before the node announces
itself on /schedule/deadlines: a simulated clock waits for that announcement.
"""

from __future__ import annotations

import datetime as dt
import queue
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future as WorkerFuture
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

from rclpy.action import ActionClient
from rclpy.action.client import ClientGoalHandle
from rclpy.node import Node
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
from rclpy.task import Future
from std_msgs.msg import Bool

from carebot_interfaces.action import PlaceCall, Say
from carebot_interfaces.msg import (Alert, CheckinAnswer, CheckinResult, Deadlines, DialogueTurn, EngagementLevel, ExpectedAnswers, Intent,
                                    LiveSpeech, Reminder, ReminderResponse, SessionEvent)
from robot.adapters.janome_reading import readers
from robot.adapters.yaml_profiles import load_phrase_bank
from robot.adapters.yaml_understanding import load_lexical_understanding
from robot.core.dialogue import DialogueManager, DialoguePolicy, LikelyAnswers
from robot.core.nlu import NluResult, Understander
from robot.core.effects import (CallPlansChanged, CancelCall, CheckinAnswered, CheckinFinished, Effect, LearnedFact, RaiseAlert, ReportReminderAnswer, SessionChanged,
                                Speak, StartCall, Understood)
from robot.adapters.call_plan_store import CallPlanStore
from robot.adapters.checkin_log import CheckinLog
from robot.adapters.person_facts_store import PersonFactStore
from robot.adapters.profile_reload import ReloadOutcome
from robot.nodes.common import watch_profiles
from robot.nodes.convert import dialogue as convert
from robot.nodes.convert.alerts import alert_to_msg
from robot.nodes.convert.clock import to_datetime, to_stamp
from robot.nodes.convert.names import topic_id
from robot.nodes.params import declare
from robot.paths import RUNS_DIR
from robot.rosenv import run_node

DEPTH = 100
LATCHED = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE, durability=DurabilityPolicy.TRANSIENT_LOCAL)
# Engagement is a state: a late-joining dialogue must still learn who is engaged.
ENGAGEMENT_QOS = LATCHED


UNDERSTANDERS = ("embedding", "lexical")


def load_understander(kind: str, profiles_dir: Path, models_dir: str, lexical: Understander,
                      report: Callable[[str], None]) -> Understander:
    """The understanding model the parameter names; `lexical` is the curated-phrase one, already loaded.
    `report` gets what the model left out at load (a malformed examples file)."""
    if kind == "lexical":
        return lexical
    if kind != "embedding":
        raise ValueError(f"dialogue: parameter 'understanding': expected one of {', '.join(UNDERSTANDERS)}, "
                         f"got {kind!r}")
    from robot.adapters.embedding_nlu import EmbeddingUnderstanding   # torch: only when asked for

    model = EmbeddingUnderstanding.load(profiles_dir, Path(models_dir) if models_dir else None)
    for problem in model.problems:
        report(problem)
    return model


class UnderstandingWorker:
    """Understands utterances on one worker thread; `deliver` gets each result on the executor, in order."""

    def __init__(self, node: Node, understand: Callable[[str, str], NluResult],
                 deliver: Callable[[str, LiveSpeech, NluResult | Exception], None],
                 thinking: Callable[[bool], None]) -> None:
        self._understand, self._deliver, self._thinking = understand, deliver, thinking
        self._in_flight = 0
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="understanding")
        self._done: queue.SimpleQueue[tuple[str, LiveSpeech, WorkerFuture[NluResult]]] = queue.SimpleQueue()
        self._wake = node.create_guard_condition(self._drain)

    def submit(self, person_id: str, msg: LiveSpeech) -> None:
        self._in_flight += 1
        if self._in_flight == 1:
            self._thinking(True)
        future = self._pool.submit(self._understand, person_id, msg.final)
        future.add_done_callback(partial(self._finished, person_id, msg))

    def _finished(self, person_id: str, msg: LiveSpeech, done: WorkerFuture[NluResult]) -> None:
        """On the worker thread: queue the result and wake the executor (triggering is thread-safe)."""
        self._done.put((person_id, msg, done))
        self._wake.trigger()

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _drain(self) -> None:
        while True:
            try:
                person_id, msg, done = self._done.get_nowait()
            except queue.Empty:
                return
            error = done.exception()
            self._in_flight -= 1
            self._deliver(person_id, msg, done.result() if error is None else error)
            if self._in_flight == 0:
                self._thinking(False)


class DialogueNode(Node):
    def __init__(self, **node_options: Any) -> None:
        super().__init__("dialogue", **node_options)
        self._alerts = self.create_publisher(Alert, "/care/alerts", DEPTH)
        home = watch_profiles(self, self._alerts, self._on_profiles_reloaded).current
        profiles_dir = Path(self.get_parameter("profiles_dir").value)
        policy = DialoguePolicy(
            answer_timeout_s=declare(self, "answer_timeout_s", 45.0,
                                     "seconds to wait for an answer to a question", 5.0, 600.0),
            session_idle_timeout_s=declare(self, "session_idle_timeout_s", 300.0,
                                           "seconds of silence that end a conversation", 30.0, 3600.0),
            min_confidence=declare(self, "min_confidence", 0.5,
                                   "below this understanding confidence the robot asks again (0..1)", 0.0, 1.0),
            snooze_minutes=declare(self, "snooze_minutes", 15,
                                   "minutes until a reminder is asked again (keep equal to medication_reminder's)",
                                   1, 240))
        kind = declare(self, "understanding", "embedding",
                       "understanding model: embedding (multilingual sentence encoder over profiles/exemplars) "
                       "or lexical (curated phrases only, no model)", read_only=True)
        models_dir = declare(self, "models_dir", "", "folder of local models (empty: $CAREBOT_MODELS_DIR or "
                             "~/.local/share/carebot/models)", read_only=True)
        facts_file = declare(self, "facts_file", str(RUNS_DIR / "person_facts.sqlite"),
                             "SQLite file of what residents told the robot about themselves (path)", read_only=True)
        self._facts = PersonFactStore(facts_file)
        self._plans = CallPlanStore(declare(self, "call_plans_file", str(RUNS_DIR / "call_plans.json"),
                                            "JSON file of calls planned for later (path)", read_only=True))
        self._checkin_log = CheckinLog(declare(self, "checkins_file", str(RUNS_DIR / "checkins_done.json"),
                                               "JSON file of when each resident last did each check-in (path)",
                                               read_only=True))
        self._messages_dir = Path(declare(self, "messages_dir", str(RUNS_DIR / "messages"),
                                          "folder for recorded messages to family (WAV)", read_only=True))
        self._fallback = load_lexical_understanding(profiles_dir / "understanding")
        understander = load_understander(kind, profiles_dir, models_dir, self._fallback, self.get_logger().error)
        self._manager = DialogueManager(home, load_phrase_bank(profiles_dir), understander, policy,
                                        facts=self._facts.load(), plans=self._plans.load(),
                                        checkins_done=self._checkin_log.load(), readers=readers())
        self._thinking = self.create_publisher(Bool, "/dialogue/thinking", DEPTH)
        self._understanding = UnderstandingWorker(self, self._manager.understand, self._on_understood,
                                                  lambda busy: self._thinking.publish(Bool(data=busy)))
        self._sessions: dict[str, str] = {}
        self._speech_queue: deque[Speak] = deque()
        self._saying: Speak | None = None   # what speech synthesis is saying now
        self._saying_handle: ClientGoalHandle | None = None
        self._calls: dict[str, ClientGoalHandle] = {}
        self._last_deadline: dt.datetime | None = None
        self._expected: dict[str, LikelyAnswers] = {}

        self._intents = self.create_publisher(Intent, "/intents", DEPTH)
        self._responses = self.create_publisher(ReminderResponse, "/medication/responses", DEPTH)
        self._turns = self.create_publisher(DialogueTurn, "~/turns", DEPTH)
        self._session_events = self.create_publisher(SessionEvent, "~/sessions", DEPTH)
        self._deadlines = self.create_publisher(Deadlines, "/schedule/deadlines", LATCHED)
        self._expected_answers = self.create_publisher(ExpectedAnswers, "/dialogue/expected_answers", DEPTH)
        self._checkin_answers = self.create_publisher(CheckinAnswer, "/wellbeing/checkin_answers", DEPTH)
        self._checkin_results = self.create_publisher(CheckinResult, "/wellbeing/checkin_results", DEPTH)
        self._say = ActionClient(self, Say, "/tts_engine/tts")
        self._place_call = ActionClient(self, PlaceCall, "/family_call/place_call")
        self._listening: set[str] = set()
        self._listen_to(self._manager.residents())
        self.create_subscription(Reminder, "/medication/reminders", self._on_reminder, DEPTH)
        self.create_timer(0.1, self._tick)
        self._facts_seen = len(self._facts.load())
        self.create_timer(float(self.get_parameter("profile_poll_s").value), self._reload_facts)
        self._announce_deadlines(None)   # ready: a simulated clock waits for this
        self.get_logger().info(f"understanding: {kind}; {len(self._manager.residents())} residents")

    def _listen_to(self, person_ids: list[str]) -> None:
        """Subscribe to the speech, engagement and end-of-speech topics of residents not yet heard."""
        for person_id in sorted(set(person_ids) - self._listening):
            self._listening.add(person_id)
            self.create_subscription(LiveSpeech, f"/humans/voices/{topic_id(person_id)}/speech",
                                     partial(self._on_speech, person_id), DEPTH)
            self.create_subscription(EngagementLevel, f"/humans/persons/{topic_id(person_id)}/engagement_status",
                                     partial(self._on_engagement, person_id), ENGAGEMENT_QOS)
            self.create_subscription(Bool, f"/humans/voices/{topic_id(person_id)}/is_speaking",
                                     partial(self._on_is_speaking, person_id), DEPTH)

    def _reload_facts(self) -> None:
        """Staff may confirm or correct what the robot learned (the console appends to the same file)."""
        facts = self._facts.load()
        if len(facts) != self._facts_seen:
            self._facts_seen = len(facts)
            self._manager.update_facts(facts)

    def _on_profiles_reloaded(self, outcome: ReloadOutcome) -> None:
        self._manager.update_profiles(outcome.home)
        self._listen_to(self._manager.residents())

    def _serves(self, person_id: str) -> bool:
        """Still one of this robot's residents (a profile may have been removed while the node runs)."""
        return person_id in self._manager.residents()

    def destroy_node(self) -> None:
        if hasattr(self, "_understanding"):
            self._understanding.shutdown()
        if hasattr(self, "_facts"):
            self._facts.close()
        if hasattr(self, "_say"):  # rclpy also destroys nodes whose __init__ failed
            self._say.destroy()
        if hasattr(self, "_place_call"):  # rclpy also destroys nodes whose __init__ failed
            self._place_call.destroy()
        super().destroy_node()

    def _now(self) -> dt.datetime:
        return to_datetime(self.get_clock().now())

    # ---- inputs -------------------------------------------------------------------------------
    def _on_speech(self, person_id: str, msg: LiveSpeech) -> None:
        """Finals only; an empty final means someone spoke but nothing usable was recognised."""
        if msg.incremental or not self._serves(person_id):
            return
        if not msg.final.strip():
            self._hand_over(person_id, msg, None)
            return
        self._understanding.submit(person_id, msg)

    def _on_understood(self, person_id: str, msg: LiveSpeech, result: NluResult | Exception) -> None:
        if not self._serves(person_id):
            return
        if isinstance(result, Exception):
            self.get_logger().error(f"understanding failed ({result!r}); using the curated phrases for this turn")
            result = self._fallback.understand(msg.final, self._manager.locale_of(person_id))
        self._hand_over(person_id, msg, result)

    def _hand_over(self, person_id: str, msg: LiveSpeech, understanding: NluResult | None) -> None:
        self._apply(self._manager.on_speech(person_id, msg.final, msg.locale, to_datetime(msg.header.stamp),
                                            self._now(), constrained=msg.constrained, understanding=understanding,
                                            heard_confidence=msg.confidence))

    def _on_is_speaking(self, person_id: str, msg: Bool) -> None:
        if not self._serves(person_id):
            return
        if msg.data:
            self._manager.on_started_speaking(person_id, self._now())
            return
        self._manager.on_stopped_speaking(person_id, self._now())
        self._publish_deadline()

    def _on_engagement(self, person_id: str, msg: EngagementLevel) -> None:
        if msg.level in (EngagementLevel.ENGAGED, EngagementLevel.DISENGAGED) and self._serves(person_id):
            self._apply(self._manager.on_engagement(person_id, msg.level == EngagementLevel.ENGAGED, self._now()))

    def _on_reminder(self, msg: Reminder) -> None:
        if msg.person_id not in self._manager.residents():
            return
        if msg.state == Reminder.DUE:
            self._apply(self._manager.on_reminder_due(msg.reminder_id, msg.person_id, msg.medication, msg.dose,
                                                      msg.attempt, self._now()))
        elif msg.state in (Reminder.ESCALATED, Reminder.MISSED):
            self._apply(self._manager.on_reminder_unanswered(msg.reminder_id, msg.person_id, msg.medication,
                                                             self._now()))

    def _tick(self) -> None:
        if self.get_clock().now().nanoseconds == 0:
            return  # simulated time has not started
        self._apply(self._manager.tick(self._now(), still_to_hear=self._still_to_hear()))
        self._publish_deadline()

    def _still_to_hear(self) -> set[str]:
        """Residents with something queued for them or being said to them now."""
        people = {speak.person_id for speak in self._speech_queue}
        if self._saying is not None:
            people.add(self._saying.person_id)
        return people

    # ---- effects ------------------------------------------------------------------------------
    def _apply(self, effects: list[Effect]) -> None:
        now = self._now()
        for effect in effects:
            if isinstance(effect, Speak) and effect.interrupts:
                self._interrupt_for(effect)
            elif isinstance(effect, Speak):
                self._speech_queue.append(effect)
            elif isinstance(effect, LearnedFact):
                self._facts.add(effect.fact)
                self.get_logger().info(f"learned from {effect.fact.person_id}: {effect.fact.key} = {effect.fact.value}")
            elif isinstance(effect, Understood):
                self._intents.publish(convert.intent_msg(effect))
                self._turns.publish(convert.resident_turn(effect))
            elif isinstance(effect, SessionChanged):
                self._track_session(effect)
            elif isinstance(effect, ReportReminderAnswer):
                self._responses.publish(convert.reminder_response(effect, now))
            elif isinstance(effect, RaiseAlert):
                self._alerts.publish(alert_to_msg(effect.alert))
            elif isinstance(effect, StartCall):
                self._start_call(effect)
            elif isinstance(effect, CallPlansChanged):
                self._plans.save(effect.plans)
            elif isinstance(effect, CheckinAnswered):
                self._checkin_answers.publish(convert.checkin_answer_msg(effect))
            elif isinstance(effect, CheckinFinished):
                self._finish_checkin(effect)
            elif isinstance(effect, CancelCall) and effect.person_id in self._calls:
                self._calls[effect.person_id].cancel_goal_async()
        self._speak_next()
        self._publish_deadline()
        self._publish_expected_answers({effect.person_id for effect in effects if isinstance(effect, Speak)})

    def _publish_expected_answers(self, spoken_to: set[str]) -> None:
        """Tell recognisers what each resident is likely to say next: after anything said to them (each
        question is answered once: the same answers asked again are expected again) and whenever it changes."""
        for person_id in self._manager.residents():
            expected = self._manager.expected_answers(person_id)
            if person_id not in spoken_to and expected == self._expected.get(person_id, LikelyAnswers()):
                continue
            self._expected[person_id] = expected
            msg = ExpectedAnswers(person_id=person_id, locale=self._manager.locale_of(person_id),
                                  intents=[intent.value for intent in expected.intents], phrases=list(expected.phrases),
                                  valid_for_s=float(self._manager.policy.answer_timeout_s))
            msg.header.stamp = self.get_clock().now().to_msg()
            self._expected_answers.publish(msg)

    def _finish_checkin(self, finished: CheckinFinished) -> None:
        """Published, and (unless interrupted, so still owed) remembered across restarts."""
        self._checkin_results.publish(convert.checkin_result_msg(finished))
        if finished.result.settled:
            self._checkin_log.record(finished.person_id, finished.result.instrument, finished.at)
        self.get_logger().info(f"check-in {finished.checkin_id}: {finished.result.ending.value}, "
                               f"{finished.result.items_answered} item(s) answered")

    def _track_session(self, change: SessionChanged) -> None:
        if change.started:
            self._sessions[change.person_id] = change.session_id
        else:
            self._sessions.pop(change.person_id, None)
        self._session_events.publish(convert.session_msg(change))

    def _interrupt_for(self, urgent: Speak) -> None:
        """A call for help: what was being said to this resident stops, and what was queued for them goes, so
        that the robot answers it first (its own urgent words are not cut off by the next ones)."""
        self._drop_queued_speech(urgent.person_id)
        queued_urgent = [speak for speak in self._speech_queue if speak.interrupts]
        rest = [speak for speak in self._speech_queue if not speak.interrupts]
        self._speech_queue = deque([*queued_urgent, urgent, *rest])
        saying, handle = self._saying, self._saying_handle
        if saying is not None and handle is not None and saying.person_id == urgent.person_id and not saying.interrupts:
            self.get_logger().info(f"{urgent.person_id} may need help: the robot stops talking to answer")
            handle.cancel_goal_async()

    def _speak_next(self) -> None:
        if self._saying is not None or not self._speech_queue:
            return
        if not self._say.server_is_ready():
            self.get_logger().warning("speech synthesis is not ready; holding what to say", throttle_duration_sec=5.0)
            return
        speak = self._saying = self._speech_queue.popleft()
        self._turns.publish(convert.robot_turn(speak, self._sessions.get(speak.person_id, ""), self._now()))
        self._say.send_goal_async(convert.say_goal(speak)).add_done_callback(partial(self._on_say_accepted, speak))

    def _on_say_accepted(self, speak: Speak, future: Future) -> None:
        handle: ClientGoalHandle = future.result()
        if not handle.accepted:
            self.get_logger().error("speech synthesis rejected an utterance")
            self._on_say_done(speak, None)
            return
        if self._saying is speak:
            self._saying_handle = handle
        handle.get_result_async().add_done_callback(partial(self._on_say_done, speak))

    def _on_say_done(self, speak: Speak, future: Future | None) -> None:
        self._saying, self._saying_handle = None, None
        if future is not None and future.result().result.outcome == Say.Result.INTERRUPTED:
            self._drop_queued_speech(speak.person_id)
        if self._serves(speak.person_id):
            self._manager.on_spoken(speak.person_id, self._now())
        self._speak_next()

    def _drop_queued_speech(self, person_id: str) -> None:
        """The resident talked over the robot: what they say next decides what the robot says to them (what it
        says about a call for help stays)."""
        kept = deque(speak for speak in self._speech_queue if speak.person_id != person_id or speak.interrupts)
        if len(kept) < len(self._speech_queue):
            self.get_logger().info(f"{person_id} interrupted: {len(self._speech_queue) - len(kept)} queued "
                                   f"utterance(s) to them dropped")
        self._speech_queue = kept

    def _start_call(self, start: StartCall) -> None:
        goal = PlaceCall.Goal(person_id=start.person_id, contact_id=start.contact_id)
        if start.message:
            from robot.adapters.message_audio import write_message_wav   # espeak-ng: only for a message call

            goal.message_audio = str(write_message_wav(start.message, start.message_locale, self._messages_dir))
        if not self._place_call.server_is_ready():
            self.get_logger().error("family_call is not available; the call could not be placed")
            self._finish_call(start, None)
            return
        sent = self._place_call.send_goal_async(
            goal, feedback_callback=partial(self._on_call_feedback, start.person_id))
        sent.add_done_callback(partial(self._on_call_accepted, start))

    def _on_call_accepted(self, start: StartCall, future: Future) -> None:
        handle: ClientGoalHandle = future.result()
        if not handle.accepted:
            self._finish_call(start, None)
            return
        self._calls[start.person_id] = handle
        handle.get_result_async().add_done_callback(
            lambda done: self._finish_call(start, done.result().result))

    def _on_call_feedback(self, person_id: str, feedback: PlaceCall.Impl.FeedbackMessage) -> None:
        if feedback.feedback.state == PlaceCall.Feedback.CONNECTED and self._serves(person_id):
            self._manager.on_call_connected(person_id)

    def _finish_call(self, start: StartCall, result: PlaceCall.Result | None) -> None:
        self._calls.pop(start.person_id, None)
        if not self._serves(start.person_id):
            return
        self._apply(self._manager.on_call_finished(start.person_id, start.contact_id, convert.call_outcome(result),
                                                   self._now(), result.detail if result is not None else
                                                   "family_call did not take the call"))

    def _publish_deadline(self) -> None:
        deadline = self._manager.next_deadline()
        if deadline == self._last_deadline:
            return
        self._last_deadline = deadline
        self._announce_deadlines(deadline)

    def _announce_deadlines(self, deadline: dt.datetime | None) -> None:
        msg = Deadlines(source=self.get_name(), deadlines=[to_stamp(deadline)] if deadline else [])
        msg.header.stamp = self.get_clock().now().to_msg()
        self._deadlines.publish(msg)


def main(args: list[str] | None = None) -> None:
    run_node(DialogueNode, args)


if __name__ == "__main__":
    main()
