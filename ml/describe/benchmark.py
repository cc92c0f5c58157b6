"""Assay's own D3 benchmark: pairs of synthetic text distributions with a known difference.

Each task has the D3 benchmark's keys, `positive_samples` (D1), `negative_samples` (D0) and
`human_annotations` (1 to 3 predicates completing "each sentence from Group A ..."), and these extra
keys:

- `name`, `kind` (topic, form, tense, sentiment, negation, style, irony, frequency), `difficulty`
  (easy or hard), `property`: the tag the task is about ("topic:sports", "question", "negation");
- `positive_truth`, `negative_truth`: for each sample, whether the property holds;
- `positive_tags`, `negative_tags`: for each sample, every property of the list below that holds
  for it, so the truth of any task's property can be read off any sample (the trained verifier's
  cross-validated training in ml.describe.bench uses this);
- `frequency` for the frequency tasks: [share in D1, share in D0] of samples with the property.

Sentences are composed from word lists written here: per topic, people (subjects), actions (a verb
and its object) and adjuncts (where, when, how), rendered as statements, questions, commands,
negations, in the past, present or future, and wrapped in frames for sentiment, style, hedging and
sarcasm. Apart from the property a task is about, both groups draw on the same lists with the same
odds. Surface properties (number, question, named place, ...) are computed from the text;
semantic ones (topic, tense, sentiment, style) come from how the sentence was built. `build_tasks`
checks every task: all of D1 and none of D0 have the property, or, for a frequency task, exactly
the stated shares.

    python -m ml.describe.benchmark --out ml/describe/data/assay_d3.json
"""

from __future__ import annotations

import argparse
import json
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ml.describe.data import words
from ml.describe.proposers import FIRST_PERSON, NEGATIONS, NUMBER_WORDS

DEFAULT_OUT = Path(__file__).parent / "data" / "assay_d3.json"
SAMPLES_PER_SIDE = 70
FREQUENCY = (0.6, 0.3)  # share of D1 and of D0 with the property, in the frequency tasks


def _items(text: str) -> list[str]:
    """'a; b; c' -> ['a', 'b', 'c']."""
    return [item.strip() for item in text.split(";") if item.strip()]


def _lines(text: str) -> list[str]:
    """The non-blank lines of a block, stripped."""
    return [line.strip() for line in text.splitlines() if line.strip()]


# --- word lists -----------------------------------------------------------------------------------
# topic -> (subjects, actions "base|past|object", adjuncts). Subjects are people, so every action
# reads with "I" or a name as well; no list holds a number, a named place or person, a first- or
# second-person word or a negation, which are the surface properties some tasks are about.

TOPICS: dict[str, tuple[list[str], list[str], list[str]]] = {
    "sports": (
        _items("the striker; the coach; the goalkeeper; the captain; the winger; the midfielder"),
        _lines(
            """
            score|scored|a late goal
            practise|practised|penalty kicks
            win|won|the championship match
            take|took|a corner kick
            train|trained|on the muddy pitch
            reach|reached|the semi-final
            head|headed|the ball into the net
            celebrate|celebrated|the victory with the fans
            clear|cleared|the ball off the line
            dribble|dribbled|past the defenders
            save|saved|a penalty
            sign|signed|a contract with the club
            """
        ),
        _items(
            "in the final minutes; at the stadium; after a long season; in front of the crowd; "
            "before kick-off; at the training ground; in extra time; at the weekend"
        ),
    ),
    "cooking": (
        _items("the chef; the baker; the grandmother; the young cook; the restaurant owner; the caterer"),
        _lines(
            """
            chop|chopped|the onions
            simmer|simmered|the tomato sauce
            bake|baked|a loaf of sourdough
            roast|roasted|the vegetables
            season|seasoned|the soup with herbs
            whisk|whisked|the eggs and sugar
            knead|kneaded|the dough
            fry|fried|the garlic in olive oil
            taste|tasted|the stew
            prepare|prepared|a spicy curry
            grill|grilled|the fish
            stir|stirred|the risotto
            """
        ),
        _items(
            "before dinner; in the kitchen; for the family lunch; on a quiet evening; for the guests; "
            "after the market; slowly and carefully; with the oven on high"
        ),
    ),
    "finance": (
        _items("the investor; the bank manager; the accountant; the company director; the trader"),
        _lines(
            """
            buy|bought|shares in the company
            sell|sold|the government bonds
            review|reviewed|the quarterly budget
            cut|cut|the interest rate
            approve|approved|the loan application
            check|checked|the stock prices
            pay|paid|the outstanding invoices
            raise|raised|money from investors
            file|filed|the tax return
            move|moved|the savings into a pension fund
            track|tracked|the market index
            balance|balanced|the accounts
            """
        ),
        _items(
            "before the opening bell; at the end of the quarter; after the earnings report; "
            "during the board meeting; with great caution; at the bank; despite the falling prices; "
            "late in the afternoon"
        ),
    ),
    "weather": (
        _items("the forecaster; the weather presenter; the farmer; the harbour master; the meteorologist"),
        _lines(
            """
            predict|predicted|heavy rain
            warn|warned|about the coming storm
            check|checked|the wind speed
            measure|measured|the rainfall
            shovel|shovelled|snow off the driveway
            watch|watched|the thunderclouds gather
            record|recorded|the lowest temperature of the winter
            expect|expected|a sunny spell
            track|tracked|the hurricane
            issue|issued|a frost warning
            close|closed|the shutters against the hail
            notice|noticed|the fog rolling in
            """
        ),
        _items(
            "this morning; ahead of the storm; along the coast; during the heatwave; overnight; "
            "at the weather station; under darkening clouds; on a freezing morning"
        ),
    ),
    "music": (
        _items("the guitarist; the conductor; the drummer; the young pianist; the singer; the bassist"),
        _lines(
            """
            tune|tuned|the guitar
            rehearse|rehearsed|the new song
            play|played|a slow ballad
            record|recorded|an album
            compose|composed|a symphony
            sing|sang|the chorus
            practise|practised|scales on the piano
            perform|performed|a concert
            write|wrote|the lyrics
            lead|led|the orchestra
            mix|mixed|the final track
            improvise|improvised|a jazz solo
            """
        ),
        _items(
            "at the studio; before the concert; on stage; in the rehearsal room; late into the night; "
            "with the band; for the festival; after the soundcheck"
        ),
    ),
    "technology": (
        _items(
            "the programmer; the network technician; the software engineer; the data scientist; "
            "the web developer"
        ),
        _lines(
            """
            update|updated|the operating system
            fix|fixed|a bug in the code
            install|installed|the new software
            reboot|rebooted|the server
            back up|backed up|the database
            debug|debugged|the mobile app
            deploy|deployed|the website
            write|wrote|a script to automate the reports
            replace|replaced|the old hard drive
            encrypt|encrypted|the files
            test|tested|the login page
            upgrade|upgraded|the laptop memory
            """
        ),
        _items(
            "on the office computer; before the release; over the weekend; in the server room; "
            "after the team meeting; remotely; during the upgrade window; with a new laptop"
        ),
    ),
    "health": (
        _items("the doctor; the nurse; the surgeon; the pharmacist; the physiotherapist; the paramedic"),
        _lines(
            """
            examine|examined|the swollen ankle
            prescribe|prescribed|antibiotics
            check|checked|the blood pressure
            take|took|a blood sample
            treat|treated|the infection
            bandage|bandaged|the wound
            recommend|recommended|more rest and fluids
            give|gave|the flu vaccine
            monitor|monitored|the heart rate
            clean|cleaned|the cut on the arm
            order|ordered|an x-ray of the wrist
            schedule|scheduled|a follow-up appointment
            """
        ),
        _items(
            "at the clinic; in the hospital ward; during the check-up; after the accident; "
            "before the operation; on the night shift; with great care; in the emergency room"
        ),
    ),
    "travel": (
        _items(
            "the tourist; the tour guide; the backpacker; the travel agent; the flight attendant; "
            "the hotel receptionist"
        ),
        _lines(
            """
            book|booked|a room by the sea
            pack|packed|a suitcase
            catch|caught|the connecting flight
            explore|explored|the old town
            check|checked|the train timetable
            rent|rented|a car at the airport
            buy|bought|a ferry ticket
            visit|visited|a famous cathedral
            extend|extended|the hotel reservation
            change|changed|money at the airport
            photograph|photographed|the harbour
            find|found|a cheap hostel
            """
        ),
        _items(
            "before the trip; on holiday; during the long journey; at the station; in the hotel lobby; "
            "abroad; after landing; at the start of the tour"
        ),
    ),
    "gardening": (
        _items(
            "the gardener; the allotment holder; the landscaper; the neighbour; the park keeper; the florist"
        ),
        _lines(
            """
            plant|planted|tulip bulbs
            water|watered|the tomato plants
            prune|pruned|the rose bushes
            mow|mowed|the lawn
            dig|dug|a new flower bed
            weed|weeded|the vegetable patch
            spread|spread|compost on the soil
            trim|trimmed|the hedge
            sow|sowed|carrot seeds
            repot|repotted|the herbs
            rake|raked|the fallen leaves
            harvest|harvested|the potatoes
            """
        ),
        _items(
            "in the back garden; before the frost; on the allotment; early in spring; in the greenhouse; "
            "along the fence; at dusk; beside the shed"
        ),
    ),
    "pets": (
        _items("the vet; the dog walker; the cat owner; the pet sitter; the breeder; the shelter volunteer"),
        _lines(
            """
            walk|walked|the dog
            feed|fed|the kitten
            brush|brushed|the puppy's coat
            clean|cleaned|the hamster cage
            train|trained|the puppy to sit
            bathe|bathed|the muddy dog
            adopt|adopted|a rescue dog
            throw|threw|a ball for the spaniel
            buy|bought|a new collar for the cat
            fill|filled|the goldfish bowl
            groom|groomed|the long-haired cat
            play|played|with the parrot
            """
        ),
        _items(
            "in the park; before breakfast; at the animal shelter; after work; in the back yard; "
            "every evening; by the river; on a rainy afternoon"
        ),
    ),
    "school": (
        _items(
            "the teacher; the head teacher; the tutor; the lecturer; the teaching assistant; "
            "the supply teacher"
        ),
        _lines(
            """
            mark|marked|the exam papers
            explain|explained|the algebra lesson
            read|read|a chapter of the novel
            collect|collected|the homework
            set|set|a history test
            teach|taught|the grammar rules
            organise|organised|the school trip
            plan|planned|the next lesson
            grade|graded|the essays
            write|wrote|notes on the board
            take|took|the register
            prepare|prepared|a presentation for class
            """
        ),
        _items(
            "in the classroom; before the exam; during the lesson; at the library; after school; "
            "in the lecture hall; at the start of term; with the class"
        ),
    ),
    "space": (
        _items(
            "the astronomer; the astronaut; the physicist; the lab technician; the researcher; "
            "the mission controller"
        ),
        _lines(
            """
            observe|observed|a distant galaxy
            launch|launched|the satellite
            study|studied|the rings of Saturn
            repair|repaired|the telescope mirror
            analyse|analysed|data from the rover
            track|tracked|a passing comet
            photograph|photographed|the surface of the moon
            measure|measured|the radiation levels
            test|tested|the rocket engine
            map|mapped|the craters on Mars
            calibrate|calibrated|the space probe's camera
            spot|spotted|a new asteroid
            """
        ),
        _items(
            "at the observatory; in the control room; on the space station; through the telescope; "
            "during the launch window; late at night; at the research lab; in orbit"
        ),
    ),
}
TOPIC_NAMES = {
    "sports": "sports",
    "cooking": "cooking",
    "finance": "finance",
    "weather": "the weather",
    "music": "music",
    "technology": "computers",
    "health": "medicine",
    "travel": "travel",
    "gardening": "gardening",
    "pets": "pets",
    "school": "school",
    "space": "space",
}

NAMES = _items(
    "Maria; Tom; Priya; Kenji; Aisha; Lucas; Olga; Diego; Fatima; Sam; Elena; Marcus; Chloe; Ahmed; "
    "Ingrid; Raj"
)
PLACES = _items(
    "Lisbon; Toronto; Nairobi; Osaka; Madrid; Chicago; Melbourne; Cairo; Oslo; Lima; Berlin; Mumbai; "
    "Dublin; Seoul; Vienna; Hanoi; Portugal; Kenya; Peru; Norway"
)
PLACE_ADJUNCTS = ["in {p}", "near {p}", "outside {p}", "on a visit to {p}", "while staying in {p}"]
# (with a number, the same without): the number task swaps one for the other.
NUMBER_ADJUNCTS = [
    ("for {n} minutes", "for a few minutes"),
    ("for {n} hours", "for hours"),
    ("{n} times this month", "several times this month"),
    ("with {n} colleagues", "with some colleagues"),
    ("at {h} o'clock", "early in the day"),
    ("on {n} occasions", "on several occasions"),
    ("within {n} days", "within a few days"),
]
SMALL_NUMBER_WORDS = ["two", "three", "four", "five", "six", "ten", "twelve", "twenty"]

INTERJECTIONS = ["Wow, ", "Finally, ", "Look, ", "Guess what, ", "Oh, ", "At last, "]
QUOTE_VERBS = ["said", "explained", "announced", "insisted", "reported", "claimed"]
CONNECTIVES = ["and then", "because", "while", "just as", "so", "after"]

POSITIVE = {
    "adj": ["wonderful", "fantastic", "lovely", "brilliant", "a real delight", "great to watch"],
    "feel": ["thrilled", "delighted", "so happy", "really glad", "overjoyed"],
    "noun": ["joy", "relief", "treat", "pleasure"],
    "adverb": ["Thankfully", "Luckily", "Happily", "Fortunately"],
}
NEGATIVE = {
    "adj": ["awful", "terrible", "disappointing", "a real disaster", "painful to watch"],
    "feel": ["upset", "furious", "so disappointed", "really annoyed", "miserable"],
    "noun": ["mess", "disaster", "shame", "nightmare"],
    "adverb": ["Sadly", "Unfortunately", "Regrettably", "Annoyingly"],
}
# A fact in the past tense in "{s}", lower-case start in "{s_}"; the same frames for both signs.
SENTIMENT_FRAMES = [
    "{S}, and honestly it was {adj}.",
    "{S}, which was {adj}.",
    "I was {feel} that {s}.",
    "It was {adj} to see that {s}.",
    "{S}. What a {noun}!",
    "{adverb}, {s}.",
    "Everyone was {feel} when {s}.",
]

# Sarcasm: the same cheerful frames around an event that is bad (sarcastic) or good (sincere).
SARCASM_FRAMES = [
    "Oh great, {e}. Just what I needed.",
    "Wonderful, {e}. Exactly how I wanted to spend my evening.",
    "I just love it when {e}.",
    "Fantastic, {e}. What a perfect start to the day.",
    "Brilliant, {e}. This week keeps getting better.",
    "Nothing makes me happier than when {e}.",
    "Perfect, {e}. Lucky me.",
    "How lovely, {e}. My day is complete.",
]
BAD_EVENTS = _lines(
    """
    the train is late again
    the printer is jammed again
    my laptop freezes in the middle of a presentation
    the wifi drops during my video call
    the neighbour's dog is barking before dawn
    my flight is cancelled at the last minute
    the washing machine is leaking all over the floor
    someone has parked across my driveway
    the lift is out of order again
    my phone battery is dead before lunch
    the shower runs freezing cold
    the bus is full and drives right past me
    my umbrella breaks in the middle of a downpour
    the queue at the post office is out of the door
    the road outside is dug up again
    my inbox is full of spam
    the milk has gone sour
    my keys are locked inside the car
    the heating fails on the coldest night of the year
    the parcel is delivered to the wrong house
    """
)
GOOD_EVENTS = _lines(
    """
    the train arrives early
    the printer works straight away
    my laptop is fast after the update
    the wifi is perfect during my video call
    the neighbour's dog is quiet all night
    my flight is upgraded at the last minute
    the washing machine is finally fixed
    a friend brings me fresh pastries
    the lift is working again
    my phone battery lasts all day
    the shower is lovely and hot
    the bus arrives right on time
    the sun comes out for the picnic
    the queue at the post office is empty
    the road outside is freshly repaved
    my inbox is finally empty
    the bakery still has warm croissants
    my keys turn up in my coat pocket
    the heating works on the coldest night of the year
    the parcel arrives a day early
    """
)

# Style frames: "{subj}" subject, "{past}"/"{base}" verb with its object, "{adj}" adjunct (may be "").
FORMAL_FRAMES = [
    ("It has been confirmed that {subj} {past}{adj}.", "past"),
    ("Please be advised that {subj} will {base}{adj}.", "future"),
    ("In accordance with the schedule, {subj} {past}{adj}.", "past"),
    ("Subsequently, {subj} {past}{adj}.", "past"),
    ("It should be noted that {subj} {past}{adj}.", "past"),
    ("Following a thorough review, {subj} {past}{adj}.", "past"),
    ("It is hereby announced that {subj} will {base}{adj}.", "future"),
    ("As previously communicated, {subj} {past}{adj}.", "past"),
]
CASUAL_FRAMES = [
    ("lol {subj} just {past}{adj}", "past"),
    ("so yeah, {subj} {past}{adj} haha", "past"),
    ("omg {subj} totally {past}{adj}!!", "past"),
    ("ngl {subj} kinda {past}{adj}", "past"),
    ("{subj} is gonna {base}{adj} tbh", "future"),
    ("btw {subj} {past}{adj}, pretty cool huh", "past"),
    ("ok so {subj} {past}{adj} and it was kinda wild", "past"),
    ("haha {subj} {past}{adj}, classic", "past"),
]
HEDGED_FRAMES = [
    ("{Subj} might {base}{adj}.", "future"),
    ("{Subj} will probably {base}{adj}.", "future"),
    ("Perhaps {subj} {past}{adj}.", "past"),
    ("It seems that {subj} {past}{adj}.", "past"),
    ("Maybe {subj} will {base}{adj}.", "future"),
    ("{Subj} possibly {past}{adj}.", "past"),
    ("Apparently {subj} {past}{adj}, though it is hard to say.", "past"),
    ("{Subj} may {base}{adj}, if things go to plan.", "future"),
]
CERTAIN_FRAMES = [
    ("{Subj} will definitely {base}{adj}.", "future"),
    ("{Subj} will certainly {base}{adj}.", "future"),
    ("Clearly, {subj} {past}{adj}.", "past"),
    ("It is certain that {subj} {past}{adj}.", "past"),
    ("{Subj} {past}{adj}, without a doubt.", "past"),
    ("{Subj} undoubtedly {past}{adj}.", "past"),
    ("As everyone saw, {subj} {past}{adj}.", "past"),
    ("{Subj} is sure to {base}{adj}, as planned.", "future"),
]

LONG_WORDS, SHORT_WORDS = 14, 8  # "long": at least this many words; "short": at most this many


# --- sentences ------------------------------------------------------------------------------------


@dataclass
class Fact:
    """Who does what: a subject, a verb (base and past forms) with its object, and an adjunct."""

    topic: str
    subject: str
    base: str
    past: str
    rest: str
    adjunct: str  # "" for none

    def verb_phrase(self, form: str) -> str:
        verb = {"base": self.base, "past": self.past, "third": third_person(self.base)}[form]
        return f"{verb} {self.rest}"


@dataclass
class Sentence:
    text: str
    topic: str
    tense: str | None = None  # "past", "present", "future"; None for a command
    mood: str = "statement"  # "statement", "question", "command"
    sentiment: str = "neutral"  # "positive", "negative", "neutral"
    style: str = "plain"  # "plain", "formal", "casual"
    hedged: bool = False
    sarcastic: bool = False
    extra: dict = field(default_factory=dict)


def third_person(base: str) -> str:
    """'chop' -> 'chops', 'fix' -> 'fixes', 'study' -> 'studies', 'back up' -> 'backs up'."""
    head, _, tail = base.partition(" ")
    if head == "have":
        head = "has"
    elif re.search(r"(s|sh|ch|x|z|o)$", head):
        head += "es"
    elif re.search(r"[^aeiou]y$", head):
        head = head[:-1] + "ies"
    else:
        head += "s"
    return f"{head} {tail}".strip()


def capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _adj(fact: Fact) -> str:
    return f" {fact.adjunct}" if fact.adjunct else ""


class Writer:
    """Renders sentences with one seeded random generator."""

    def __init__(self, rng: random.Random):
        self.rng = rng

    def pick(self, options):
        return self.rng.choice(options)

    def fact(self, topic: str | None = None, adjunct_odds: float = 0.7, subject: str | None = None) -> Fact:
        topic = topic or self.pick(sorted(TOPICS))
        subjects, actions, adjuncts = TOPICS[topic]
        base, past, rest = self.pick(actions).split("|")
        adjunct = self.pick(adjuncts) if self.rng.random() < adjunct_odds else ""
        return Fact(topic, subject or self.pick(subjects), base, past, rest, adjunct)

    def statement(self, fact: Fact, tense: str | None = None, negated: bool = False) -> Sentence:
        tense = tense or self.pick(["past", "present", "future"])
        subject = fact.subject
        plural = subject.lower() in ("i", "we", "you") or subject.lower().startswith("you and ")
        if not negated:
            if tense == "past":
                verb = fact.verb_phrase("past")
            elif tense == "present":
                verb = fact.verb_phrase("base" if plural else "third")
            else:
                verb = self.pick(["will ", "is going to " if not plural else "will "]) + fact.verb_phrase(
                    "base"
                )
        else:
            if tense == "past":
                aux = self.pick(["did not", "didn't", "never"])
                form = "past" if aux == "never" else "base"
                verb = f"{aux} {fact.verb_phrase(form)}"
            elif tense == "present":
                aux = self.pick(["do not", "don't"] if plural else ["does not", "doesn't", "never"])
                form = "third" if aux == "never" and not plural else "base"
                verb = f"{aux} {fact.verb_phrase(form)}"
            else:
                aux = self.pick(["will not", "won't"])
                verb = f"{aux} {fact.verb_phrase('base')}"
        text = capital(f"{subject} {verb}{_adj(fact)}.")
        return Sentence(text, fact.topic, tense)

    def question(self, fact: Fact, tense: str | None = None) -> Sentence:
        tense = tense or self.pick(["past", "present", "future"])
        aux = {"past": "did", "present": "does", "future": "will"}[tense]
        subject, verb = fact.subject, fact.verb_phrase("base")
        if self.rng.random() < 0.5:
            text = f"{capital(aux)} {subject} {verb}{_adj(fact)}?"
        else:
            wh = self.pick(["Why", "When", "How often", "Where", "How"])
            text = f"{wh} {aux} {subject} {verb}?"
        return Sentence(text, fact.topic, tense, mood="question")

    def command(self, fact: Fact) -> Sentence:
        frame = self.pick(["{v}{a}.", "Please {v}{a}.", "Remember to {v}{a}.", "Make sure you {v}{a}."])
        text = capital(frame.format(v=fact.verb_phrase("base"), a=_adj(fact)))
        return Sentence(text, fact.topic, None, mood="command")

    def plain(self, topic: str | None = None, **fact_options) -> Sentence:
        return self.statement(self.fact(topic, **fact_options))

    def long(self, topic: str | None = None) -> Sentence:
        """Two clauses, each with its own adjunct, of at least LONG_WORDS words."""
        while True:
            first = self.fact(topic, adjunct_odds=1.0)
            second = self.fact(first.topic, adjunct_odds=1.0)
            if second.subject == first.subject or second.adjunct == first.adjunct:
                continue
            tense = self.pick(["past", "present"])
            form = "past" if tense == "past" else "third"
            head = self.statement(first, tense).text[:-1]
            text = (
                f"{head}, {self.pick(CONNECTIVES)} {second.subject} {second.verb_phrase(form)}{_adj(second)}."
            )
            if len(words(text)) >= LONG_WORDS:
                return Sentence(text, first.topic, tense)

    def short(self, topic: str | None = None) -> Sentence:
        """One clause with no adjunct, of at most SHORT_WORDS words."""
        while True:
            sentence = self.statement(self.fact(topic, adjunct_odds=0.0), self.pick(["past", "present"]))
            if len(words(sentence.text)) <= SHORT_WORDS:
                return sentence

    def framed(self, frames, fact: Fact, **labels) -> Sentence:
        frame, tense = self.pick(frames)
        text = frame.format(
            subj=fact.subject,
            Subj=capital(fact.subject),
            past=fact.verb_phrase("past"),
            base=fact.verb_phrase("base"),
            adj=_adj(fact),
        )
        return Sentence(
            capital(text) if labels.get("style") != "casual" else text, fact.topic, tense, **labels
        )

    def sentiment(self, fact: Fact, sign: str) -> Sentence:
        words_ = POSITIVE if sign == "positive" else NEGATIVE
        inner = f"{fact.subject} {fact.verb_phrase('past')}{_adj(fact)}"
        text = self.pick(SENTIMENT_FRAMES).format(
            S=capital(inner),
            s=inner,
            adj=self.pick(words_["adj"]),
            feel=self.pick(words_["feel"]),
            noun=self.pick(words_["noun"]),
            adverb=self.pick(words_["adverb"]),
        )
        return Sentence(text, fact.topic, "past", sentiment=sign)

    def sarcasm(self, sarcastic: bool) -> Sentence:
        event = self.pick(BAD_EVENTS if sarcastic else GOOD_EVENTS)
        text = self.pick(SARCASM_FRAMES).format(e=event)
        # A sarcastic complaint is negative in sentiment whatever its words; a sincere one positive.
        sign = "negative" if sarcastic else "positive"
        return Sentence(text, "daily life", "present", sentiment=sign, sarcastic=sarcastic)


# --- properties -----------------------------------------------------------------------------------

_PLACES = {p.lower() for p in PLACES}
_NAMES = {n.lower() for n in NAMES}


def has_number(text: str) -> bool:
    return bool(re.search(r"\d", text)) or any(w in NUMBER_WORDS for w in words(text))


def has_negation(text: str) -> bool:
    return any(w in NEGATIONS or w.endswith("n't") for w in words(text))


SURFACE: dict[str, Callable[[str], bool]] = {
    "question": lambda t: t.rstrip().endswith("?"),
    "exclamation": lambda t: "!" in t,
    "number": has_number,
    "place": lambda t: any(w in _PLACES for w in words(t)),
    "person_name": lambda t: any(w in _NAMES for w in words(t)),
    "first_person": lambda t: any(w in FIRST_PERSON for w in words(t)),
    "second_person": lambda t: any(w in ("you", "your", "yours") for w in words(t)),
    "quotation": lambda t: '"' in t,
    "negation": has_negation,
    "long": lambda t: len(words(t)) >= LONG_WORDS,
    "short": lambda t: len(words(t)) <= SHORT_WORDS,
}


def tags(sentence: Sentence) -> list[str]:
    """Every property (of those the tasks are about) that holds for the sentence, sorted."""
    found = {name for name, test in SURFACE.items() if test(sentence.text)}
    found.add(f"topic:{sentence.topic}")
    if sentence.tense:
        found.add(sentence.tense)
    if sentence.mood == "command":
        found.add("imperative")
    if sentence.sentiment != "neutral":
        found |= {sentence.sentiment, "opinion"}
    if sentence.style != "plain":
        found.add(sentence.style)
    if sentence.hedged:
        found.add("hedged")
    if sentence.sarcastic:
        found.add("sarcastic")
    return sorted(found)


# --- tasks ----------------------------------------------------------------------------------------


@dataclass
class Spec:
    name: str
    kind: str
    difficulty: str
    prop: str
    annotations: list[str]
    positive: Callable[[Writer], Sentence]  # a sample with the property
    negative: Callable[[Writer], Sentence]  # a sample without it
    frequency: tuple[float, float] | None = None  # shares with the property in D1 and D0


def _with_number(w: Writer, with_number: bool) -> Sentence:
    fact = w.fact(adjunct_odds=0.0)
    number, vague = w.pick(NUMBER_ADJUNCTS)
    if with_number:
        value = w.pick([str(w.rng.randint(2, 60)), w.pick(SMALL_NUMBER_WORDS)])
        fact.adjunct = number.format(n=value, h=w.rng.randint(5, 11))
    else:
        fact.adjunct = vague
    return w.statement(fact)


def _with_place(w: Writer, with_place: bool) -> Sentence:
    fact = w.fact(adjunct_odds=1.0)
    if with_place:
        fact.adjunct = w.pick(PLACE_ADJUNCTS).format(p=w.pick(PLACES))
    return w.statement(fact)


def _first_person(w: Writer) -> Sentence:
    return w.statement(w.fact(subject=w.pick(["I", "I", "we"])))


def _second_person(w: Writer) -> Sentence:
    fact = w.fact()
    if w.rng.random() < 0.3:  # "the coach" -> "you and the coach"
        fact.subject = f"you and {fact.subject}"
        return w.statement(fact, w.pick(["past", "future"]))
    fact.subject = "you"
    if w.rng.random() < 0.5:
        return w.statement(fact)
    text = f"You {w.pick(['should', 'could', 'ought to'])} {fact.verb_phrase('base')}{_adj(fact)}."
    return Sentence(text, fact.topic, "future")


def _quoted(w: Writer, direct: bool) -> Sentence:
    speaker = w.fact()
    fact = w.fact(speaker.topic)
    while fact.subject == speaker.subject:
        fact = w.fact(speaker.topic)
    verb = w.pick(QUOTE_VERBS)
    inner = f"{fact.subject} {fact.verb_phrase('past')}{_adj(fact)}"
    if direct:
        if w.rng.random() < 0.5:
            text = f'{capital(speaker.subject)} {verb}, "{capital(inner)}."'
        else:
            text = f'"{capital(inner)}," {verb} {speaker.subject}.'
    else:
        text = f"{capital(speaker.subject)} {verb} that {inner}."
    return Sentence(text, fact.topic, "past")


def _exclaimed(w: Writer) -> Sentence:
    s = w.plain()
    prefix = w.pick(INTERJECTIONS) if w.rng.random() < 0.5 else ""
    body = s.text[:-1] if not prefix else s.text[0].lower() + s.text[1:-1]
    s.text = f"{prefix}{body}!"
    return s


def _topic_from(topics: list[str]) -> Callable[[Writer], Sentence]:
    return lambda w: w.plain(w.pick(topics))


def _others(topic: str) -> list[str]:
    return [t for t in sorted(TOPICS) if t != topic]


def _topic_annotations(topic: str) -> list[str]:
    name = TOPIC_NAMES[topic]
    extra = {
        "sports": "mentions a sports team, player or game",
        "cooking": "describes preparing food",
        "finance": "mentions money, banking or investments",
        "weather": "mentions rain, snow, storms or temperatures",
        "music": "mentions musicians, songs or instruments",
        "technology": "mentions programming, software or servers",
        "health": "is about doctors, patients or medical care",
        "travel": "mentions trips, hotels or flights",
        "gardening": "mentions plants or working in a garden",
        "pets": "mentions animals kept as pets",
        "school": "is about students, teachers or lessons",
        "space": "is about astronomy or space exploration",
    }[topic]
    return [f"is about {name}", extra]


def _specs() -> list[Spec]:
    specs: list[Spec] = []
    for a, b in [
        ("sports", "cooking"),
        ("finance", "weather"),
        ("music", "technology"),
        ("pets", "gardening"),
        ("health", "travel"),
        ("space", "school"),
        ("technology", "finance"),
        ("school", "music"),
    ]:
        specs.append(
            Spec(
                f"topic_{a}_vs_{b}",
                "topic",
                "easy",
                f"topic:{a}",
                _topic_annotations(a),
                _topic_from([a]),
                _topic_from([b]),
            )
        )
    for a in ("cooking", "sports", "health"):
        specs.append(
            Spec(
                f"topic_{a}_vs_rest",
                "topic",
                "easy",
                f"topic:{a}",
                _topic_annotations(a),
                _topic_from([a]),
                _topic_from(_others(a)),
            )
        )
    specs += [
        Spec(
            "form_question",
            "form",
            "easy",
            "question",
            ["is a question", "asks something"],
            lambda w: w.question(w.fact()),
            lambda w: w.plain(),
        ),
        Spec(
            "form_exclamation",
            "form",
            "easy",
            "exclamation",
            ["ends with an exclamation mark", "is an exclamation"],
            _exclaimed,
            lambda w: w.plain(),
        ),
        Spec(
            "form_imperative",
            "form",
            "easy",
            "imperative",
            ["is an instruction or command", "tells the reader to do something"],
            lambda w: w.command(w.fact()),
            lambda w: w.plain(),
        ),
        Spec(
            "form_number",
            "form",
            "easy",
            "number",
            ["mentions a number", "contains a quantity or a count"],
            lambda w: _with_number(w, True),
            lambda w: _with_number(w, False),
        ),
        Spec(
            "form_place",
            "form",
            "easy",
            "place",
            ["mentions a city or country", "names a specific place"],
            lambda w: _with_place(w, True),
            lambda w: _with_place(w, False),
        ),
        Spec(
            "form_person_name",
            "form",
            "easy",
            "person_name",
            ["mentions a person by name", "contains a first name"],
            lambda w: w.plain(subject=w.pick(NAMES)),
            lambda w: w.plain(),
        ),
        Spec(
            "form_first_person",
            "form",
            "easy",
            "first_person",
            ["is written in the first person", "is about the speaker, using 'I' or 'we'"],
            _first_person,
            lambda w: w.plain(),
        ),
        Spec(
            "form_second_person",
            "form",
            "easy",
            "second_person",
            ["addresses the reader as 'you'", "is written in the second person"],
            _second_person,
            lambda w: w.plain(),
        ),
        Spec(
            "form_direct_quotation",
            "form",
            "hard",
            "quotation",
            ["quotes someone's exact words", "contains a direct quotation in quotation marks"],
            lambda w: _quoted(w, True),
            lambda w: _quoted(w, False),
        ),
        Spec(
            "form_long",
            "form",
            "easy",
            "long",
            ["is a long sentence", "is longer, with more than one clause"],
            lambda w: w.long(),
            lambda w: w.short(),
        ),
        Spec(
            "form_short",
            "form",
            "easy",
            "short",
            ["is a short sentence", "is brief"],
            lambda w: w.short(),
            lambda w: w.long(),
        ),
        Spec(
            "tense_past_vs_present",
            "tense",
            "hard",
            "past",
            ["is in the past tense", "describes something that already happened"],
            lambda w: w.statement(w.fact(), "past"),
            lambda w: w.statement(w.fact(), "present"),
        ),
        Spec(
            "tense_future_vs_past",
            "tense",
            "easy",
            "future",
            ["is in the future tense", "describes something that will happen"],
            lambda w: w.statement(w.fact(), "future"),
            lambda w: w.statement(w.fact(), "past"),
        ),
        Spec(
            "sentiment_positive_vs_negative",
            "sentiment",
            "easy",
            "positive",
            ["expresses a positive feeling", "is happy or enthusiastic about what happened"],
            lambda w: w.sentiment(w.fact(), "positive"),
            lambda w: w.sentiment(w.fact(), "negative"),
        ),
        Spec(
            "sentiment_negative_vs_positive",
            "sentiment",
            "easy",
            "negative",
            ["expresses a negative feeling", "complains or is disappointed about what happened"],
            lambda w: w.sentiment(w.fact(), "negative"),
            lambda w: w.sentiment(w.fact(), "positive"),
        ),
        Spec(
            "sentiment_opinion_vs_neutral",
            "sentiment",
            "hard",
            "opinion",
            ["expresses an opinion or emotion", "says how the writer feels about an event"],
            lambda w: w.sentiment(w.fact(), w.pick(["positive", "negative"])),
            lambda w: w.statement(w.fact(), "past"),
        ),
        Spec(
            "negation_vs_affirmative",
            "negation",
            "hard",
            "negation",
            ["contains a negation", "says that something does not or did not happen"],
            lambda w: w.statement(w.fact(), negated=True),
            lambda w: w.statement(w.fact()),
        ),
        Spec(
            "style_casual_vs_formal",
            "style",
            "hard",
            "casual",
            ["is written in a casual, informal style", "uses slang or chat abbreviations such as 'lol'"],
            lambda w: w.framed(CASUAL_FRAMES, w.fact(), style="casual"),
            lambda w: w.framed(FORMAL_FRAMES, w.fact(), style="formal"),
        ),
        Spec(
            "style_formal_vs_casual_finance",
            "style",
            "hard",
            "formal",
            ["is written in a formal, official tone", "uses formal, bureaucratic language"],
            lambda w: w.framed(FORMAL_FRAMES, w.fact("finance"), style="formal"),
            lambda w: w.framed(CASUAL_FRAMES, w.fact("finance"), style="casual"),
        ),
        Spec(
            "style_hedged_vs_certain",
            "style",
            "hard",
            "hedged",
            ["expresses uncertainty", "is tentative, hedging with words like 'might' or 'perhaps'"],
            lambda w: w.framed(HEDGED_FRAMES, w.fact(), hedged=True),
            lambda w: w.framed(CERTAIN_FRAMES, w.fact()),
        ),
        Spec(
            "irony_sarcasm_vs_sincere",
            "irony",
            "hard",
            "sarcastic",
            ["is sarcastic", "complains about a bad situation while pretending to be pleased"],
            lambda w: w.sarcasm(True),
            lambda w: w.sarcasm(False),
        ),
    ]
    frequency = [
        (
            "number",
            ["mentions a number", "contains a quantity or a count"],
            lambda w, yes: _with_number(w, yes),
        ),
        (
            "question",
            ["is a question", "asks something"],
            lambda w, yes: w.question(w.fact()) if yes else w.plain(),
        ),
        (
            "topic:sports",
            _topic_annotations("sports"),
            lambda w, yes: w.plain("sports" if yes else w.pick(_others("sports"))),
        ),
        (
            "negation",
            ["contains a negation", "says that something does not or did not happen"],
            lambda w, yes: w.statement(w.fact(), negated=yes),
        ),
        (
            "first_person",
            ["is written in the first person", "is about the speaker, using 'I' or 'we'"],
            lambda w, yes: _first_person(w) if yes else w.plain(),
        ),
    ]
    for prop, notes, make in frequency:
        specs.append(
            Spec(
                f"frequency_{prop.replace('topic:', '')}",
                "frequency",
                "hard",
                prop,
                notes,
                lambda w, make=make: make(w, True),
                lambda w, make=make: make(w, False),
                frequency=FREQUENCY,
            )
        )
    return specs


def _draw(
    writer: Writer, spec: Spec, share: float, n: int, seen: set[str]
) -> tuple[list[str], list[bool], list[list[str]]]:
    """n distinct samples, exactly round(share * n) of them with the property, shuffled."""
    with_property = round(share * n)
    plan = [True] * with_property + [False] * (n - with_property)
    writer.rng.shuffle(plan)
    texts, truth, tag_lists = [], [], []
    for wanted in plan:
        for _attempt in range(200):
            sentence = (spec.positive if wanted else spec.negative)(writer)
            if sentence.text not in seen:
                break
        else:
            raise RuntimeError(f"{spec.name}: could not draw a new sample")
        seen.add(sentence.text)
        sample_tags = tags(sentence)
        holds = spec.prop in sample_tags
        if holds != wanted:
            raise AssertionError(
                f"{spec.name}: {sentence.text!r} should {'' if wanted else 'not '}be {spec.prop}"
            )
        texts.append(sentence.text)
        truth.append(holds)
        tag_lists.append(sample_tags)
    return texts, truth, tag_lists


def build_tasks(seed: int = 0, samples_per_side: int = SAMPLES_PER_SIDE) -> list[dict]:
    """The benchmark's tasks, the same for the same seed."""
    tasks = []
    for index, spec in enumerate(_specs()):
        writer = Writer(random.Random(seed * 1_000_003 + index))
        share1, share0 = spec.frequency or (1.0, 0.0)
        seen: set[str] = set()  # no sample twice in a task, in either group
        pos, pos_truth, pos_tags = _draw(writer, spec, share1, samples_per_side, seen)
        neg, neg_truth, neg_tags = _draw(writer, spec, share0, samples_per_side, seen)
        task = {
            "name": spec.name,
            "kind": spec.kind,
            "difficulty": spec.difficulty,
            "property": spec.prop,
            "human_annotations": spec.annotations,
            "positive_samples": pos,
            "negative_samples": neg,
            "positive_truth": pos_truth,
            "negative_truth": neg_truth,
            "positive_tags": pos_tags,
            "negative_tags": neg_tags,
        }
        if spec.frequency:
            task["frequency"] = list(spec.frequency)
        tasks.append(task)
    return tasks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write Assay's D3 benchmark as a JSON list of tasks.")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--samples", type=int, default=SAMPLES_PER_SIDE, help="samples per group")
    args = parser.parse_args(argv)
    tasks = build_tasks(args.seed, args.samples)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    # One task per line keeps diffs readable and the file small.
    body = ",\n".join(json.dumps(t, ensure_ascii=False) for t in tasks)
    args.out.write_text(f"[\n{body}\n]\n", encoding="utf-8")
    kinds: dict[str, int] = {}
    for t in tasks:
        kinds[t["kind"]] = kinds.get(t["kind"], 0) + 1
    size = args.out.stat().st_size
    counts = ", ".join(f"{k} {v}" for k, v in kinds.items())
    print(f"{len(tasks)} tasks ({counts}), {size / 1e3:.0f} kB -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
