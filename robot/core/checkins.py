"""Conversational wellbeing check-ins: validated questionnaires asked by the robot, answered in free speech.

Two freely usable instruments, administered in the robot-interviewer mode:
- ucla3, the UCLA 3-item loneliness scale (Hughes, Waite, Hawkley & Cacioppo 2004, Research on Aging 26:655):
  lack companionship, left out, isolated; hardly ever = 1, some of the time = 2, often = 3; score = sum, 3-9
  (higher = lonelier).
- who5, the WHO-5 wellbeing index (WHO Regional Office for Europe 1998; Topp et al. 2015): five items about the
  last two weeks, at no time = 0 .. all of the time = 5; raw score = sum, 0-25; reported as a percentage,
  raw x 4, 0-100 (higher = better wellbeing).
An instrument is scored only when every item was answered; an incomplete administration has no score.

A `CheckinConversation` asks permission, reads each item as a question followed by its options, and maps
each free answer to an option. An unclear answer (or silence) is asked once more with the options read
slowly and numbered; a second unclear answer leaves the item unanswered and moves on. "Stop" (or "I don't
want to") ends the check-in politely with a partial, unscored result. Help requests are not seen here: the
dialogue handles safety before it passes an answer on.

Confidence of a mapped answer (0..1) = how the words matched x hedging x how sure the recogniser was:
the option's own wording as read out 1.0; a listed paraphrase ("most days", "a veces") 0.85; the option's
number said on its own ("two") 0.9; a bare yes/no that fits only one option of this scale 0.6; x 0.75 when
the answer also hedges ("I'm not sure", "not always"); x the recogniser's confidence in the words. An answer
is taken at ACCEPT_AT or more; words pointing at two different options are never taken.

Wording: the English items are the instruments' published wording (WHO-5 statements turned into "how often"
questions for reading aloud). Other languages follow the published translations as the project recalls
them and are marked per language below; where the project made its own wording (questions instead of
statements, sentences that avoid the listener's grammatical gender, as the phrase banks do) it says so.
Check them against the licensed/official translations before a study publishes.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from zoneinfo import ZoneInfo

from robot.core.profile import CheckinSchedule, ResidentProfile

ADMINISTRATION_MODE = "robot-interviewer"
ACCEPT_AT = 0.5
LABEL_CONFIDENCE = 1.0
NUMBER_CONFIDENCE = 0.9
PARAPHRASE_CONFIDENCE = 0.85
WEAK_CONFIDENCE = 0.6
HEDGE_FACTOR = 0.75


# ------------------------------------------------------------------------------------------ instruments

@dataclass(frozen=True)
class Option:
    """One answer option: its code, the words the robot reads, and how people say it otherwise."""

    value: int
    label: str
    said: tuple[str, ...] = ()       # paraphrases
    weak: tuple[str, ...] = ()       # "no" and the like: fit only this option of this scale, less surely


@dataclass(frozen=True)
class Wording:
    """An instrument in one language. `options` are in the order they are read out."""

    source: str
    items: tuple[str, ...]
    options: tuple[Option, ...]
    preamble: str = ""               # said once, before the first item
    unclear: tuple[str, ...] = ()    # answers that point at no single option ("not always")


@dataclass(frozen=True)
class Instrument:
    instrument_id: str
    name: str
    citation: str
    values: tuple[int, ...]          # the option codes
    score_factor: int                # reported score = raw sum x this (WHO-5: percentage)
    wordings: Mapping[str, Wording]

    @property
    def item_count(self) -> int:
        return len(next(iter(self.wordings.values())).items)

    def raw_score(self, values: Sequence[int | None]) -> int | None:
        """The sum of the item codes; None when an item is unanswered. ValueError for impossible codes."""
        if len(values) != self.item_count:
            raise ValueError(f"{self.instrument_id}: expected {self.item_count} item values, got {len(values)}")
        for value in values:
            if value is not None and value not in self.values:
                raise ValueError(f"{self.instrument_id}: expected item values in {self.values}, got {value!r}")
        if any(value is None for value in values):
            return None
        return sum(value for value in values if value is not None)

    def score(self, values: Sequence[int | None]) -> int | None:
        """The score as the instrument reports it (ucla3: 3-9; who5: percentage 0-100); None if incomplete."""
        raw = self.raw_score(values)
        return None if raw is None else raw * self.score_factor


def _options(*options: tuple[int, str, tuple[str, ...]] | tuple[int, str, tuple[str, ...], tuple[str, ...]]
             ) -> tuple[Option, ...]:
    return tuple(Option(*option) for option in options)


# --- UCLA 3-item loneliness scale --------------------------------------------------------------------

_UCLA3 = {
    # Hughes et al. 2004, verbatim items and options.
    "en": Wording(
        source="Hughes et al. 2004 (published English wording)",
        preamble="For each question, please tell me how often you feel that way.",
        items=("How often do you feel that you lack companionship?",
               "How often do you feel left out?",
               "How often do you feel isolated from others?"),
        options=_options(
            (1, "hardly ever", ("never", "hardly", "rarely", "seldom", "almost never", "not often", "not very often",
                                "not that often", "not really", "not much", "not at all", "very rarely", "barely",
                                "scarcely"), ("no", "nope")),
            (2, "some of the time", ("sometimes", "occasionally", "now and then", "now and again", "at times",
                                     "from time to time", "once in a while", "every so often", "a bit", "a little",
                                     "on and off", "off and on", "some days")),
            (3, "often", ("a lot", "very often", "quite often", "all the time", "all of the time", "always",
                          "most of the time", "frequently", "constantly", "every day", "most days"))),
        unclear=("not always", "depends", "it depends", "it varies", "hard to say")),
    # Options after the Spanish SHARE wording (casi nunca, algunas veces, a menudo); item 1 as there, items
    # 2 and 3 reworded by the project so that no adjective agrees with the listener's gender.
    "es": Wording(
        source="after SHARE's Spanish wording; items 2-3 the project's gender-neutral rewording",
        preamble="En cada pregunta, dígame con qué frecuencia se siente así.",
        items=("¿Con qué frecuencia siente que le falta compañía?",
               "¿Con qué frecuencia siente que le dejan de lado?",
               "¿Con qué frecuencia siente aislamiento de los demás?"),
        options=_options(
            (1, "casi nunca", ("nunca", "jamás", "rara vez", "raramente", "pocas veces", "muy poco", "casi nada",
                               "no mucho", "apenas", "para nada", "en absoluto", "muy pocas veces"), ("no",)),
            (2, "algunas veces", ("a veces", "de vez en cuando", "alguna vez", "ocasionalmente", "a ratos",
                                  "de cuando en cuando", "un poco")),
            (3, "a menudo", ("muchas veces", "muy a menudo", "siempre", "casi siempre", "frecuentemente",
                             "con frecuencia", "todo el tiempo", "mucho", "todos los días", "constantemente"))),
        unclear=("no siempre", "depende", "no todos los días")),
    # Options after the Polish SHARE wording (prawie nigdy, czasami, często); the items are the project's own
    # gender-neutral questions (the published ones use Pan/Pani and gendered participles).
    "pl": Wording(
        source="options after SHARE's Polish wording; items the project's gender-neutral questions",
        preamble="Przy każdym pytaniu proszę powiedzieć, jak często tak bywa.",
        items=("Jak często doskwiera brak towarzystwa?",
               "Jak często pojawia się poczucie pominięcia przez innych?",
               "Jak często pojawia się poczucie izolacji od innych ludzi?"),
        options=_options(
            (1, "prawie nigdy", ("nigdy", "rzadko", "bardzo rzadko", "dość rzadko", "rzadko kiedy", "prawie wcale",
                                 "wcale", "nieczęsto", "nie często", "raczej nie", "w ogóle", "nie bardzo"),
             ("nie",)),
            (2, "czasami", ("czasem", "od czasu do czasu", "niekiedy", "bywa", "trochę", "zdarza się",
                            "raz na jakiś czas")),
            (3, "często", ("bardzo często", "dość często", "ciągle", "zawsze", "cały czas", "stale", "codziennie",
                           "wiele razy", "dużo"))),
        unclear=("nie zawsze", "różnie", "zależy", "to zależy")),
    # Items after the Japanese three-item version (Igarashi 2019) as the project recalls it, in kana for
    # the speech engine; the three options are the project's translation of the original ones.
    "ja": Wording(
        source="items after Igarashi 2019 (Japanese 3-item version); options the project's translation",
        preamble="それぞれ、 どれくらい そう かんじるか おしえて ください。",
        items=("ひとと の つきあいが ない と かんじる ことは、 どれくらい ありますか？",
               "じぶんが とりのこされて いる と かんじる ことは、 どれくらい ありますか？",
               "ほかの ひとたち から こりつ して いる と かんじる ことは、 どれくらい ありますか？"),
        options=_options(
            (1, "ほとんど ない", ("ほとんどない", "殆どない", "ほとんどありません", "めったにない", "滅多にない",
                                 "めったにありません", "ぜんぜん", "全然", "まったく", "全く", "あまりない", "あまりありません"),
             ("ない", "ありません", "いいえ")),
            (2, "ときどき ある", ("ときどき", "時々", "たまに", "ときには", "時には", "ときおり", "時折")),
            (3, "よく ある", ("よくある", "よくあります", "しょっちゅう", "いつも", "つねに", "常に", "しばしば",
                              "たびたび", "ずっと", "まいにち", "毎日"))),
        unclear=("わからない", "わかりません", "分からない", "分かりません", "よくわからない", "よくわかりません",
                 "よくない", "なんとも", "何とも", "ばあいによる", "場合による")),
    # The project's own translation (no published Korean three-item wording to hand).
    "ko": Wording(
        source="the project's own translation",
        preamble="각 질문마다 얼마나 자주 그렇게 느끼시는지 말씀해 주세요.",
        items=("함께할 사람이 없다고 느끼실 때가 얼마나 자주 있으세요?",
               "소외되었다고 느끼실 때가 얼마나 자주 있으세요?",
               "다른 사람들로부터 고립되어 있다고 느끼실 때가 얼마나 자주 있으세요?"),
        options=_options(
            (1, "거의 없다", ("거의 없", "거의 안", "별로 없", "별로 안", "전혀", "드물", "없다시피"), ("없", "아니")),
            (2, "가끔 있다", ("가끔", "때때로", "이따금", "간혹", "어쩌다", "조금")),
            (3, "자주 있다", ("자주", "항상", "늘", "매일", "언제나", "많이", "맨날"))),
        unclear=("자주는 아니", "그때그때", "때에 따라")),
}

# --- WHO-5 wellbeing index -----------------------------------------------------------------------------

_WHO5 = {
    # WHO 1998 English version; each statement read as a "how often" question (the project's phrasing).
    "en": Wording(
        source="WHO-5 (1998) English wording, statements read as questions",
        items=("Over the last two weeks, how often have you felt cheerful and in good spirits?",
               "Over the last two weeks, how often have you felt calm and relaxed?",
               "Over the last two weeks, how often have you felt active and vigorous?",
               "Over the last two weeks, how often have you woken up feeling fresh and rested?",
               "Over the last two weeks, how often has your daily life been filled with things that interest you?"),
        options=_options(
            (5, "all of the time", ("always", "all the time", "every day", "every single day", "constantly",
                                    "the whole time")),
            (4, "most of the time", ("mostly", "most days", "nearly always", "almost always", "usually",
                                     "nearly all the time", "almost all the time", "very often", "a lot of the time")),
            (3, "more than half of the time", ("more than half", "more than half the time", "over half the time",
                                               "more often than not", "fairly often")),
            (2, "less than half of the time", ("less than half", "less than half the time", "under half the time",
                                               "not very often", "not often", "not that often")),
            (1, "some of the time", ("sometimes", "occasionally", "now and then", "now and again", "once in a while",
                                     "from time to time", "rarely", "hardly ever", "seldom", "almost never",
                                     "a little", "a bit", "once or twice", "not much")),
            (0, "at no time", ("never", "not at all", "not once", "none of the time", "no time", "not ever"),
             ("no", "nope"))),
        unclear=("not always", "not every day", "depends", "it depends", "it varies", "hard to say",
                 "half the time")),
    # Options as in the Spanish WHO-5; item 1 and 5 as there, items 2-4 reworded by the project with nouns
    # instead of gendered adjectives (tranquilo/a, activo/a, fresco/a).
    "es": Wording(
        source="Spanish WHO-5 options and items 1, 5; items 2-4 the project's gender-neutral rewording",
        items=("En las últimas dos semanas, ¿con qué frecuencia se ha sentido alegre y de buen humor?",
               "En las últimas dos semanas, ¿con qué frecuencia ha sentido calma y tranquilidad?",
               "En las últimas dos semanas, ¿con qué frecuencia ha tenido energía y ganas de hacer cosas?",
               "En las últimas dos semanas, ¿con qué frecuencia se ha despertado con sensación de frescura y descanso?",
               "En las últimas dos semanas, ¿con qué frecuencia su vida diaria ha estado llena de cosas que le "
               "interesan?"),
        options=_options(
            (5, "todo el tiempo", ("siempre", "todos los días", "constantemente", "todo el rato")),
            (4, "la mayor parte del tiempo", ("casi siempre", "casi todo el tiempo", "la mayoría del tiempo",
                                              "la mayoría de los días", "casi todos los días", "muy a menudo",
                                              "normalmente", "generalmente", "mucho")),
            (3, "más de la mitad del tiempo", ("más de la mitad", "bastantes veces", "bastante")),
            (2, "menos de la mitad del tiempo", ("menos de la mitad", "no mucho", "pocas veces", "no muy a menudo")),
            (1, "de vez en cuando", ("a veces", "algunas veces", "alguna vez", "rara vez", "casi nunca", "muy poco",
                                     "un poco", "ocasionalmente", "a ratos", "de cuando en cuando", "casi nada")),
            (0, "nunca", ("jamás", "en ningún momento", "para nada", "nada", "ninguna vez", "en absoluto"), ("no",))),
        unclear=("no siempre", "no todos los días", "depende", "la mitad")),
    # Options after the Polish WHO-5 (cały czas .. nigdy); the items are the project's own gender-neutral
    # questions (the published statements are first person and gendered: "czułem/czułam się").
    "pl": Wording(
        source="options after the Polish WHO-5; items the project's gender-neutral questions",
        items=("W ciągu ostatnich dwóch tygodni: jak często dopisywały radość i dobry nastrój?",
               "W ciągu ostatnich dwóch tygodni: jak często udawało się zachować spokój i odprężenie?",
               "W ciągu ostatnich dwóch tygodni: jak często dopisywały energia i chęć do działania?",
               "W ciągu ostatnich dwóch tygodni: jak często poranne przebudzenie dawało świeżość i wypoczęcie?",
               "W ciągu ostatnich dwóch tygodni: jak często codzienne życie było wypełnione ciekawymi sprawami?"),
        options=_options(
            (5, "cały czas", ("zawsze", "ciągle", "stale", "codziennie", "bez przerwy")),
            (4, "większość czasu", ("prawie zawsze", "prawie cały czas", "przeważnie", "zazwyczaj", "zwykle",
                                    "najczęściej", "bardzo często", "w większości")),
            (3, "więcej niż połowę czasu", ("więcej niż połowę", "ponad połowę", "ponad połowę czasu", "dość często",
                                            "raczej często")),
            (2, "mniej niż połowę czasu", ("mniej niż połowę", "poniżej połowy", "nieczęsto", "nie często",
                                           "niezbyt często", "nie za często")),
            (1, "od czasu do czasu", ("czasem", "czasami", "rzadko", "bardzo rzadko", "dość rzadko", "prawie nigdy",
                                      "niekiedy", "trochę", "sporadycznie")),
            (0, "nigdy", ("wcale", "w ogóle", "ani razu", "ani trochę"), ("nie",))),
        unclear=("nie zawsze", "nie codziennie", "różnie", "zależy", "to zależy", "połowę czasu")),
    # Items and options after the Japanese WHO-5 (Awata et al. 2007) as the project recalls them, in kana.
    "ja": Wording(
        source="after the Japanese WHO-5 (Awata et al. 2007), in kana",
        items=("さいきん にしゅうかん、 あかるく、 たのしい きぶんで すごした ことは、 どれくらい ありましたか？",
               "さいきん にしゅうかん、 おちついた、 リラックス した きぶんで すごした ことは、 どれくらい ありましたか？",
               "さいきん にしゅうかん、 いよくてきで、 かつどうてきに すごした ことは、 どれくらい ありましたか？",
               "さいきん にしゅうかん、 ぐっすりと やすめ、 きもちよく めざめた ことは、 どれくらい ありましたか？",
               ("さいきん にしゅうかん、 にちじょう せいかつの なかに、 きょうみの ある ことが たくさん あった ことは、 "
                "どれくらい ありましたか？")),
        options=_options(
            (5, "いつも", ("常に", "つねに", "ずっと", "まいにち", "毎日")),
            (4, "ほとんど いつも", ("ほとんどいつも", "殆どいつも", "たいてい", "大抵", "だいたい", "大体", "ほぼまいにち",
                                   "ほぼ毎日")),
            (3, "はんぶん いじょうの きかん", ("はんぶんいじょう", "半分以上", "はんぶんよりおおい", "半分より多い", "わりと",
                                             "割と")),
            (2, "はんぶん いかの きかん", ("はんぶんいか", "半分以下", "はんぶんよりすくない", "半分より少ない", "あまり",
                                         "余り")),
            (1, "ほんの たまに", ("ほんのたまに", "たまに", "ときどき", "時々", "ときには", "まれに", "稀に", "すこし", "少し",
                                 "ほとんどない", "ほとんどなかった", "殆どない")),
            (0, "まったく ない", ("まったくない", "全くない", "まったく", "全く", "ぜんぜん", "全然", "いちども", "一度も"),
             ("ない", "なかった", "いいえ"))),
        unclear=("わからない", "わかりません", "分からない", "分かりません", "よくわからない", "よくわかりません",
                 "なんとも", "何とも", "はんぶんくらい", "半分くらい")),
    # After the Korean WHO-5 as the project recalls it; the spoken options are the project's own.
    "ko": Wording(
        source="after the Korean WHO-5 items; options the project's own",
        items=("지난 두 주 동안, 즐겁고 기분 좋게 지내신 때가 얼마나 되세요?",
               "지난 두 주 동안, 마음이 차분하고 편안하셨던 때가 얼마나 되세요?",
               "지난 두 주 동안, 활동적이고 활기차게 지내신 때가 얼마나 되세요?",
               "지난 두 주 동안, 아침에 상쾌하고 개운하게 일어나신 때가 얼마나 되세요?",
               "지난 두 주 동안, 일상생활이 흥미로운 일들로 가득했던 때가 얼마나 되세요?"),
        options=_options(
            (5, "항상", ("늘", "언제나", "매일", "내내", "맨날")),
            (4, "대부분", ("거의 항상", "거의 매일", "거의 늘", "대개", "보통")),
            (3, "절반 이상", ("반 이상", "반보다 많", "절반보다 많", "반 넘게", "절반 넘게")),
            (2, "절반 미만", ("절반 이하", "반 미만", "반 이하", "반보다 적", "절반보다 적", "별로", "많지 않")),
            (1, "가끔", ("때때로", "이따금", "어쩌다", "간혹", "드물", "거의 없", "조금")),
            (0, "전혀 없음", ("전혀", "한 번도"), ("없", "아니"))),
        unclear=("모르겠", "잘 모르", "그때그때", "때에 따라", "반반")),
}

INSTRUMENTS: Mapping[str, Instrument] = {
    "ucla3": Instrument("ucla3", "UCLA 3-item loneliness scale",
                        "Hughes ME, Waite LJ, Hawkley LC, Cacioppo JT (2004). Research on Aging 26(6):655-672.",
                        values=(1, 2, 3), score_factor=1, wordings=_UCLA3),
    "who5": Instrument("who5", "WHO-5 wellbeing index",
                       "WHO Regional Office for Europe (1998); Topp CW et al. (2015). Psychother Psychosom 84:167-176.",
                       values=(0, 1, 2, 3, 4, 5), score_factor=4, wordings=_WHO5),
}


# --------------------------------------------------------------------------------------------- languages

class Matching(str, Enum):
    """How phrases are found in an answer."""

    WORDS = "words"              # whole words (en, es, pl; accents folded, so "pięć" = "piec")
    WORD_START = "word_start"    # from the start of a word, endings may follow (ko: 가끔요, 없어요)
    ANYWHERE = "anywhere"        # anywhere, spaces ignored (ja: no spaces between words)


@dataclass(frozen=True)
class Language:
    """What the robot says around the items in one language, and the words it listens for."""

    matching: Matching
    permission: str
    permission_again: str
    ask_options: str             # {options}
    list_separator: str
    last_separator: str
    again: str
    numbers_hint: str
    number_option: str           # {number} {label}
    thanks: str                  # after an answer, before the next item
    move_on: str                 # after an item left unanswered
    finished: str
    stopped: str
    declined: str
    yes: tuple[str, ...]
    no: tuple[str, ...]
    stop: tuple[str, ...]
    unsure: tuple[str, ...]
    fillers: tuple[str, ...]     # words around a bare number ("I'd say two"); ja: text around it
    numbers: Mapping[int, tuple[str, ...]]   # the first word is the one read out
    number_suffixes: tuple[str, ...] = ()     # endings a number word may carry (ko 번, 이요)


LANGUAGES: Mapping[str, Language] = {
    "en": Language(
        matching=Matching.WORDS,
        permission="May I ask you a few questions about how you've been feeling?",
        permission_again="Would it be all right if I asked you a few short questions? You can say yes or no.",
        ask_options="Would you say {options}?", list_separator=", ", last_separator=", or ",
        again="Let me ask that once more.", numbers_hint="You can say the words, or just the number.",
        number_option="{number}: {label}.", thanks="Thank you.", move_on="That's all right, let's go on.",
        finished="Thank you, that's all my questions.",
        stopped="Of course, we can stop here. Thank you for your time.",
        declined="That's quite all right. Perhaps another time.",
        yes=("yes", "yeah", "yep", "ok", "okay", "sure", "of course", "go ahead", "alright", "all right", "fine",
             "please do", "why not", "certainly", "go on", "ask away"),
        no=("no", "nope", "not now", "not today", "no thanks", "no thank you", "later", "rather not",
            "not really"),
        stop=("stop", "i don't want to", "no more", "enough now", "that's enough", "leave me alone", "never mind",
              "can we stop", "let's stop", "not now", "no more questions", "i want to stop"),
        unsure=("don't know", "not sure", "no idea", "maybe", "i suppose", "i guess", "perhaps", "can't remember",
                "don't remember", "pardon"),
        fillers=("i", "i'd", "would", "say", "number", "um", "er", "erm", "uh", "maybe", "probably", "it's", "it",
                 "is", "the", "option", "about", "oh", "well", "hmm", "let's", "go", "for", "put", "me", "down",
                 "think", "answer", "that", "i'll"),
        numbers={0: ("zero", "nought", "0"), 1: ("one", "1"), 2: ("two", "2"), 3: ("three", "3"),
                 4: ("four", "4"), 5: ("five", "5")}),
    "es": Language(
        matching=Matching.WORDS,
        permission="¿Le puedo hacer unas preguntas sobre cómo se ha sentido últimamente?",
        permission_again="¿Le parece bien que le haga unas preguntas cortas? Puede decir sí o no.",
        ask_options="¿Diría que {options}?", list_separator=", ", last_separator=" o ",
        again="Se lo pregunto otra vez.", numbers_hint="Puede contestar con palabras o solo con el número.",
        number_option="{number}: {label}.", thanks="Gracias.", move_on="No se preocupe, seguimos.",
        finished="Muchas gracias, eso es todo.",
        stopped="Por supuesto, lo dejamos aquí. Gracias por su tiempo.",
        declined="No pasa nada. Quizá en otro momento.",
        yes=("sí", "vale", "claro", "de acuerdo", "adelante", "bueno", "por supuesto", "pregunte", "cómo no",
             "venga", "con gusto"),
        no=("no", "ahora no", "luego", "más tarde", "otro día", "no gracias", "prefiero que no", "hoy no"),
        stop=("basta", "ya basta", "pare", "no quiero", "no quiero seguir", "no quiero contestar", "no más",
              "ya está bien", "déjelo", "dejémoslo"),
        unsure=("no sé", "no lo sé", "no estoy segura", "no estoy seguro", "quizás", "quizá", "tal vez",
                "puede ser", "no me acuerdo", "cómo dice", "perdón"),
        fillers=("pues", "eh", "yo", "diría", "digo", "el", "la", "número", "creo", "que", "bueno", "mmm",
                 "opción", "sería", "pongamos", "ponga"),
        numbers={0: ("cero", "0"), 1: ("uno", "una", "1"), 2: ("dos", "2"), 3: ("tres", "3"),
                 4: ("cuatro", "4"), 5: ("cinco", "5")}),
    "pl": Language(
        matching=Matching.WORDS,
        permission="Czy mogę zadać kilka pytań o samopoczucie w ostatnim czasie?",
        permission_again="Czy mogę zadać kilka krótkich pytań? Wystarczy powiedzieć tak albo nie.",
        ask_options="Czy {options}?", list_separator=", ", last_separator=", czy ",
        again="Zapytam jeszcze raz.", numbers_hint="Można odpowiedzieć słowami albo samym numerem.",
        number_option="{number}: {label}.", thanks="Dziękuję.", move_on="Nic nie szkodzi, przejdźmy dalej.",
        finished="Dziękuję, to już wszystkie pytania.",
        stopped="Oczywiście, możemy tu skończyć. Dziękuję za rozmowę.",
        declined="Nic nie szkodzi. Może innym razem.",
        yes=("tak", "dobrze", "proszę", "oczywiście", "jasne", "można", "pewnie", "zgoda", "śmiało", "proszę pytać"),
        no=("nie", "nie teraz", "później", "innym razem", "nie dziękuję", "wolę nie", "nie dzisiaj"),
        stop=("stop", "dość", "wystarczy", "nie chcę", "koniec", "przestań", "proszę przestać", "dajmy spokój",
              "nie chcę odpowiadać", "nie chcę już"),
        unsure=("nie wiem", "trudno powiedzieć", "nie jestem pewien", "nie jestem pewna", "może", "chyba",
                "nie pamiętam", "słucham"),
        fillers=("no", "to", "chyba", "numer", "może", "raczej", "yyy", "eee", "hmm", "powiedzmy", "odpowiedź",
                 "daję", "niech", "będzie", "bym", "powiedział", "powiedziała"),
        numbers={0: ("zero", "0"), 1: ("jeden", "jedynka", "1"), 2: ("dwa", "dwójka", "2"), 3: ("trzy", "trójka", "3"),
                 4: ("cztery", "czwórka", "4"), 5: ("pięć", "piątka", "5")}),
    "ja": Language(
        matching=Matching.ANYWHERE,
        permission="さいきんの ごきぶんに ついて、 すこし しつもん しても よろしいですか？",
        permission_again="みじかい しつもんを いくつか しても いいですか？ はい か いいえ で こたえて ください。",
        ask_options="{options} の なかでは どれですか？", list_separator="、 ", last_separator="、 ",
        again="もう いちど おききしますね。", numbers_hint="ことばでも、 ばんごう だけでも かまいません。",
        number_option="{number}ばん、 {label}。", thanks="ありがとう ございます。",
        move_on="だいじょうぶですよ。 つぎに すすみましょう。",
        finished="ありがとう ございました。 しつもんは これで おわりです。",
        stopped="わかりました。 ここで おわりに しましょう。 ありがとう ございました。",
        declined="だいじょうぶです。 また こんど に しましょう。",
        yes=("はい", "ええ", "どうぞ", "いいですよ", "かまいません", "構いません", "おねがいします", "お願いします", "いいよ"),
        no=("いいえ", "いや", "けっこうです", "結構です", "いまは", "今は", "あとで", "後で", "またこんど", "また今度"),
        stop=("やめて", "やめましょう", "もういい", "したくない", "こたえたくない", "答えたくない", "ストップ", "とめて",
              "止めて", "おわりにして", "終わりにして"),
        unsure=("わからない", "わかりません", "分からない", "分かりません", "どうかな", "どうでしょう", "たぶん", "多分"),
        fillers=("えーと", "えっと", "うーん", "そうですね", "ばんです", "番です", "ばん", "番", "です", "かな", "で"),
        numbers={0: ("ゼロ", "れい", "零", "0"), 1: ("いち", "一", "1"), 2: ("に", "二", "2"), 3: ("さん", "三", "3"),
                 4: ("よん", "し", "四", "4"), 5: ("ご", "五", "5")}),
    "ko": Language(
        matching=Matching.WORD_START,
        permission="요즘 기분이 어떠셨는지 몇 가지 여쭤봐도 될까요?",
        permission_again="짧은 질문 몇 가지 드려도 될까요? 네, 아니요로 말씀해 주세요.",
        ask_options="{options} 중에서 어느 쪽이세요?", list_separator=", ", last_separator=", ",
        again="한 번 더 여쭤볼게요.", numbers_hint="말씀으로 하셔도 되고, 번호만 말씀하셔도 돼요.",
        number_option="{number}번, {label}.", thanks="감사합니다.", move_on="괜찮아요. 다음으로 넘어갈게요.",
        finished="감사합니다. 질문은 이게 전부예요.",
        stopped="알겠습니다. 여기서 마칠게요. 시간 내 주셔서 감사합니다.",
        declined="괜찮습니다. 다음에 여쭤볼게요.",
        yes=("네", "예", "좋아요", "그래요", "그러세요", "물어보세요", "해 보세요", "응"),
        no=("아니", "싫어", "다음에", "나중에", "안 할래"),
        stop=("그만해", "그만하", "그만 하", "그만요", "그만 물어", "하기 싫", "대답하기 싫", "안 할래", "됐어요", "됐습니다"),
        unsure=("모르겠", "몰라", "글쎄", "잘 모르", "아마"),
        fillers=("음", "어", "그냥", "저는", "제", "생각에는", "번", "번이요", "번요", "이요", "요", "입니다", "이에요", "점"),
        numbers={0: ("영", "공", "0"), 1: ("일", "하나", "1"), 2: ("이", "둘", "2"), 3: ("삼", "셋", "3"),
                 4: ("사", "넷", "4"), 5: ("오", "다섯", "5")},
        number_suffixes=("번이요", "번요", "번", "이요", "요", "입니다", "이에요", "점")),
}


# ---------------------------------------------------------------------------------------------- matching

class Meaning(str, Enum):
    OPTION = "option"
    UNCLEAR = "unclear"      # points at no single option, or hedges
    STOP = "stop"
    YES = "yes"
    NO = "no"


@dataclass(frozen=True)
class _Phrase:
    words: str               # normalised
    meaning: Meaning
    value: int | None = None
    confidence: float = 0.0


@dataclass(frozen=True)
class _Hit:
    start: int
    end: int
    phrase: _Phrase


_PUNCTUATION = re.compile(r"[^\w\s]")
_SPACES = re.compile(r"\s+")
_FOLD = str.maketrans({"ł": "l"})


def normalise(text: str, matching: Matching) -> str:
    """Lower case, no punctuation or apostrophes, single spaces; accents folded for WORDS, no spaces for ANYWHERE."""
    text = unicodedata.normalize("NFKC", text).casefold().replace("'", "").replace("\u2019", "")
    if matching is Matching.WORDS:
        text = unicodedata.normalize("NFD", text.translate(_FOLD))
        text = "".join(char for char in text if not unicodedata.combining(char))
    text = _SPACES.sub(" ", _PUNCTUATION.sub(" ", text)).strip()
    return text.replace(" ", "") if matching is Matching.ANYWHERE else text


def _pattern(words: str, matching: Matching) -> re.Pattern[str]:
    escaped = re.escape(words)
    if matching is Matching.WORDS:
        return re.compile(rf"(?<!\S){escaped}(?!\S)")
    if matching is Matching.WORD_START:
        return re.compile(rf"(?<!\S){escaped}")
    return re.compile(escaped)


def _phrases(language: Language, meanings: Mapping[Meaning, Sequence[str]],
             wording: Wording | None) -> tuple[_Phrase, ...]:
    found = [_Phrase(normalise(words, language.matching), meaning)
             for meaning, all_words in meanings.items() for words in all_words]
    for option in wording.options if wording else ():
        for words, confidence in ((option.label, LABEL_CONFIDENCE),
                                  *((said, PARAPHRASE_CONFIDENCE) for said in option.said),
                                  *((weak, WEAK_CONFIDENCE) for weak in option.weak)):
            found.append(_Phrase(normalise(words, language.matching), Meaning.OPTION, option.value, confidence))
    return tuple(phrase for phrase in found if phrase.words)


def _hits(text: str, phrases: Sequence[_Phrase], matching: Matching) -> list[_Hit]:
    """Phrases found in `text`, longest first, none overlapping another: "not often" hides its "often"."""
    candidates = [_Hit(m.start(), m.end(), phrase)
                  for phrase in phrases for m in _pattern(phrase.words, matching).finditer(text)]
    candidates.sort(key=lambda hit: (hit.start - hit.end, hit.start, -hit.phrase.confidence))
    taken: list[_Hit] = []
    for hit in candidates:
        if all(hit.end <= other.start or other.end <= hit.start for other in taken):
            taken.append(hit)
    return sorted(taken, key=lambda hit: hit.start)


def _strip_affixes(text: str, affixes: Sequence[str]) -> str:
    """`text` without the listed words at either end (repeatedly), as long as something is left."""
    ordered = sorted(affixes, key=len, reverse=True)
    changed = True
    while changed:
        changed = False
        for affix in ordered:
            if text.endswith(affix) and len(text) > len(affix):
                text, changed = text[:-len(affix)], True
            elif text.startswith(affix) and len(text) > len(affix):
                text, changed = text[len(affix):], True
    return text


def _number(text: str, language: Language) -> int | None:
    """The option number when the answer is just a number ("two", "I'd say 2", "삼 번이요", "さんばんです")."""
    matching = language.matching
    number_words = {normalise(word, matching): value for value, words in language.numbers.items() for word in words}
    if matching is Matching.ANYWHERE:
        core = _strip_affixes(text, [normalise(filler, matching) for filler in language.fillers])
        return number_words.get(core)
    fillers = {normalise(filler, matching) for filler in language.fillers}
    rest = [word for word in text.split() if word not in fillers]
    if len(rest) != 1:
        return None
    return number_words.get(_strip_affixes(rest[0], language.number_suffixes))


@dataclass(frozen=True)
class MappedAnswer:
    """What an answer to an item means: an option (value, confidence), stop, or nothing clear."""

    value: int | None = None
    confidence: float = 0.0
    stop: bool = False


def understand_answer(text: str, instrument: str, language: str, heard_confidence: float = 1.0) -> MappedAnswer:
    """Map a free answer to an option of `instrument`'s scale (see the module doc for the confidence)."""
    wording, lang = _wording(instrument, language)
    normalised = normalise(text, lang.matching)
    phrases = _phrases(lang, {Meaning.STOP: lang.stop, Meaning.UNCLEAR: (*lang.unsure, *wording.unclear)}, wording)
    hits = _hits(normalised, phrases, lang.matching)
    if any(hit.phrase.meaning is Meaning.STOP for hit in hits):
        return MappedAnswer(stop=True)
    options = [hit.phrase for hit in hits if hit.phrase.meaning is Meaning.OPTION]
    strong = [phrase for phrase in options if phrase.confidence > WEAK_CONFIDENCE]
    options = strong or options
    values = {phrase.value for phrase in options}
    if not options and (number := _number(normalised, lang)) is not None and number in INSTRUMENTS[instrument].values:
        values, confidence = {number}, NUMBER_CONFIDENCE
    elif len(values) == 1:
        confidence = max(phrase.confidence for phrase in options)
    else:
        return MappedAnswer()
    if any(hit.phrase.meaning is Meaning.UNCLEAR for hit in hits):
        confidence *= HEDGE_FACTOR
    return MappedAnswer(value=values.pop(), confidence=round(confidence * heard_confidence, 3))


def understand_permission(text: str, language: str) -> Meaning:
    """YES, NO (also for "stop") or UNCLEAR: the answer to "may I ask you a few questions?"."""
    lang = _language(language)
    phrases = _phrases(lang, {Meaning.YES: lang.yes, Meaning.NO: (*lang.no, *lang.stop),
                              Meaning.UNCLEAR: lang.unsure}, None)
    meanings = {hit.phrase.meaning for hit in _hits(normalise(text, lang.matching), phrases, lang.matching)}
    if Meaning.NO in meanings:
        return Meaning.NO
    return Meaning.YES if Meaning.YES in meanings else Meaning.UNCLEAR


def _language(language: str) -> Language:
    code = language.split("-")[0].lower()
    if code not in LANGUAGES:
        raise ValueError(f"check-ins: expected a language of {', '.join(sorted(LANGUAGES))}, got {language!r}")
    return LANGUAGES[code]


def _wording(instrument: str, language: str) -> tuple[Wording, Language]:
    if instrument not in INSTRUMENTS:
        raise ValueError(f"check-ins: expected an instrument of {', '.join(sorted(INSTRUMENTS))}, got {instrument!r}")
    lang = _language(language)
    return INSTRUMENTS[instrument].wordings[language.split("-")[0].lower()], lang


# ------------------------------------------------------------------------------------------ conversation

class Ending(str, Enum):
    """How a check-in ended."""

    COMPLETED = "completed"      # every item was asked (some may be unanswered)
    STOPPED = "stopped"          # the resident stopped part way
    DECLINED = "declined"        # the resident said no (or nothing clear) to being asked
    INTERRUPTED = "interrupted"  # the conversation ended first (the resident left, a help request)


@dataclass(frozen=True)
class ItemAnswer:
    """One item as settled: its value in the instrument's coding, or None when it was not answered."""

    item: int                    # 1-based
    value: int | None
    confidence: float            # 0.0 when not answered
    attempts: int                # how many times the item was asked (1 or 2)
    text: str                    # the words the value was taken from (the last answer; "" for silence)


@dataclass(frozen=True)
class CheckinResult:
    """One administration: complete only when every item was answered; only then is there a score."""

    instrument: str
    locale: str
    ending: Ending
    items: tuple[ItemAnswer, ...]
    complete: bool
    raw_score: int | None        # the sum of the item values
    score: int | None            # as reported: ucla3 3-9, who5 percentage 0-100
    mode: str = ADMINISTRATION_MODE

    @property
    def settled(self) -> bool:
        """Completed, stopped or declined: not asked again before its next scheduled time (the resident's no
        is respected). Interrupted (help, the session ended): still owed."""
        return self.ending is not Ending.INTERRUPTED

    @property
    def items_answered(self) -> int:
        return sum(1 for item in self.items if item.value is not None)


@dataclass(frozen=True)
class CheckinStep:
    """What the robot does after an answer: say `say` (slowly when `slow`), maybe having settled an item."""

    say: str
    slow: bool = False                       # a repeated question: speak more slowly
    answered: ItemAnswer | None = None       # the item this answer settled, answered or not
    result: CheckinResult | None = None      # set on the step that ends the check-in

    @property
    def done(self) -> bool:
        return self.result is not None


class CheckinConversation:
    """One check-in with one resident, driven by their answers.

    >>> talk = CheckinConversation("ucla3", "en-GB")
    >>> talk.opening()          # asks permission
    >>> talk.on_answer("yes")   # -> first item; then one on_answer (or on_silence) per reply until step.done
    """

    def __init__(self, instrument: str, locale: str) -> None:
        self._wording, self._lang = _wording(instrument, locale)
        self._instrument = INSTRUMENTS[instrument]
        self._locale = locale
        self._asked_permission = 0
        self._item = -1                    # index of the item being asked; -1 while asking permission
        self._attempts = 0
        self._answers: list[ItemAnswer] = []
        self._ending: Ending | None = None

    @property
    def instrument(self) -> str:
        return self._instrument.instrument_id

    @property
    def done(self) -> bool:
        return self._ending is not None

    @property
    def current_item(self) -> int | None:
        """The 1-based item being asked; None while asking permission or when done."""
        return None if self.done or self._item < 0 else self._item + 1

    def opening(self) -> str:
        """The first thing to say: asks the resident's permission."""
        self._asked_permission = 1
        return self._lang.permission

    def on_answer(self, text: str, heard_confidence: float = 1.0) -> CheckinStep:
        """The resident's reply (recognised words, and the recogniser's confidence in them)."""
        if self.done:
            raise RuntimeError(f"check-in {self.instrument}: already {self._ending.value}, no more answers")
        if self._item < 0:
            return self._on_permission(understand_permission(text, self._locale))
        understood = understand_answer(text, self.instrument, self._locale, heard_confidence)
        if understood.stop:
            return self._end(Ending.STOPPED, self._lang.stopped)
        if understood.value is not None and understood.confidence >= ACCEPT_AT:
            return self._settle(ItemAnswer(self._item + 1, understood.value, understood.confidence,
                                           self._attempts, text))
        return self._unclear(text)

    def is_answer(self, text: str) -> bool:
        """Whether `text` reads as an answer to what was just asked: an option (or yes/no to the permission
        question), or a wish to stop."""
        if self._item < 0:
            return understand_permission(text, self._locale) is not Meaning.UNCLEAR
        understood = understand_answer(text, self.instrument, self._locale)
        return understood.stop or understood.value is not None

    def expected_phrases(self) -> tuple[str, ...]:
        """What the resident will likely say to what was just asked, for recognisers that decode a grammar:
        yes, no and stop to the permission question; to an item its options as read and as people say them,
        the option numbers, unsure answers and stop. Written as people spell them (not normalised)."""
        lang = self._lang
        if self._item < 0:
            return _unique((*lang.yes, *lang.no, *lang.stop))
        options = self._wording.options
        said = (words for option in options for words in (option.label, *option.said, *option.weak))
        numbers = (word for option in options for word in lang.numbers[option.value] if not word.isdigit())
        return _unique((*said, *numbers, *lang.unsure, *self._wording.unclear, *lang.stop))

    def on_silence(self) -> CheckinStep:
        """No answer within the dialogue's answer timeout: counts as an unclear answer."""
        if self.done:
            raise RuntimeError(f"check-in {self.instrument}: already {self._ending.value}, no more answers")
        if self._item < 0:
            return self._on_permission(Meaning.UNCLEAR)
        return self._unclear("")

    def result(self) -> CheckinResult:
        """The administration so far; INTERRUPTED if it has not ended (the dialogue abandons it)."""
        values = [answer.value for answer in self._answers]
        ending = self._ending or Ending.INTERRUPTED
        complete = ending is Ending.COMPLETED and len(values) == self._instrument.item_count and None not in values
        raw = self._instrument.raw_score(values) if complete else None
        return CheckinResult(self.instrument, self._locale, ending, tuple(self._answers), complete, raw,
                             None if raw is None else raw * self._instrument.score_factor)

    def _on_permission(self, meaning: Meaning) -> CheckinStep:
        if meaning is Meaning.YES:
            self._item, self._attempts = 0, 1
            return CheckinStep(_sentences(self._wording.preamble, self._question(slow=False)))
        if meaning is Meaning.UNCLEAR and self._asked_permission < 2:
            self._asked_permission = 2
            return CheckinStep(self._lang.permission_again, slow=True)
        return self._end(Ending.DECLINED, self._lang.declined)

    def _unclear(self, text: str) -> CheckinStep:
        if self._attempts < 2:
            self._attempts = 2
            return CheckinStep(self._question(slow=True), slow=True)
        return self._settle(ItemAnswer(self._item + 1, None, 0.0, self._attempts, text))

    def _settle(self, answer: ItemAnswer) -> CheckinStep:
        self._answers.append(answer)
        lead = self._lang.thanks if answer.value is not None else self._lang.move_on
        if len(self._answers) == len(self._wording.items):
            step = self._end(Ending.COMPLETED, self._lang.finished)
            return CheckinStep(step.say, answered=answer, result=step.result)
        self._item, self._attempts = self._item + 1, 1
        return CheckinStep(_sentences(lead, self._question(slow=False)), answered=answer)

    def _end(self, ending: Ending, say: str) -> CheckinStep:
        self._ending = ending
        return CheckinStep(say, result=self.result())

    def _question(self, slow: bool) -> str:
        question = self._wording.items[self._item]
        if not slow:
            labels = [option.label for option in self._wording.options]
            listed = self._lang.list_separator.join(labels[:-1]) + self._lang.last_separator + labels[-1]
            return _sentences(question, self._lang.ask_options.format(options=listed))
        numbered = [_capitalised(self._lang.number_option.format(number=self._lang.numbers[option.value][0],
                                                                 label=option.label))
                    for option in self._wording.options]
        return _sentences(self._lang.again, question, self._lang.numbers_hint, *numbered)


def _unique(phrases: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(phrases))


def _sentences(*parts: str) -> str:
    return " ".join(part for part in parts if part)


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


# ---------------------------------------------------------------------------------------------- schedule

@dataclass(frozen=True)
class DueCheckin:
    """A check-in owed: `due_at` (UTC) is the scheduled time it is owed from."""

    instrument: str
    due_at: dt.datetime


def due_at(schedule: CheckinSchedule, last_done: dt.datetime | None, now: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """When this schedule next wants its check-in (UTC), counting from the local day it was last done.

    `every_days`: that many days after the last local day done; `weekdays`: the first of those days after
    it. Never done: from today (local), so today's time counts even if it has passed. The result may lie
    in the past: a missed check-in stays owed until done. A local time that a clock change skips is taken
    in the offset before the change (01:30 on the spring-forward night in London is 02:30 BST).
    """
    for moment in (now, last_done):
        if moment is not None and moment.tzinfo is None:
            raise ValueError(f"check-in {schedule.instrument}: expected an aware datetime, got {moment!r}")
    if last_done is None:
        first = now.astimezone(zone).date()
    elif schedule.every_days is not None:
        first = last_done.astimezone(zone).date() + dt.timedelta(days=schedule.every_days)
    else:
        first = last_done.astimezone(zone).date() + dt.timedelta(days=1)
    day = first
    while schedule.every_days is None and day.weekday() not in schedule.weekdays:
        day += dt.timedelta(days=1)
    return dt.datetime.combine(day, schedule.at, tzinfo=zone).astimezone(dt.timezone.utc)


def checkins_due(profile: ResidentProfile, last_done: Mapping[str, dt.datetime], now: dt.datetime) -> list[DueCheckin]:
    """The check-ins owed now by `profile`'s schedule (oldest first); `last_done` is by instrument id."""
    zone = ZoneInfo(profile.timezone)
    owed = [DueCheckin(schedule.instrument, when) for schedule in profile.checkins
            if (when := due_at(schedule, last_done.get(schedule.instrument), now, zone)) <= now]
    return sorted(owed, key=lambda due: (due.due_at, due.instrument))


def next_checkin_at(profile: ResidentProfile, last_done: Mapping[str, dt.datetime],
                    now: dt.datetime) -> dt.datetime | None:
    """The earliest future time a check-in falls due (for the clock's deadlines); None if none scheduled."""
    zone = ZoneInfo(profile.timezone)
    times = [when for schedule in profile.checkins
             if (when := due_at(schedule, last_done.get(schedule.instrument), now, zone)) > now]
    return min(times, default=None)
