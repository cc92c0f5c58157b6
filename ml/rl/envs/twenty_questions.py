"""Twenty Questions with a knowledge-base oracle (task `twenty_questions`).

The environment hides an object from data/twenty_questions.json; the agent asks yes/no questions. The
default oracle parses each question into an attribute ("Does it have wheels?"), a category ("Is it a
kind of fruit?") or a guess ("Is it a hammer?") and answers "Yes." or "No."; a question it cannot parse
is answered "No." (negations are ignored: "Is it not alive?" is answered as "Is it alive?"). Reward −1
per question, 0 for the question that names the object, which ends the game; at most 20 questions.

Whether a question names the object is decided here, not by the oracle, so an LM or a person can
stand in as the oracle (`oracle=`) without changing the rules or the reward.
"""

from __future__ import annotations

import json
import math
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from ml.rl.envs.base import EnvError, History, Normalisation, StepResult, TextEnv, Turn, register_task
from ml.rl.envs.datasets import behaviour
from ml.rl.envs.oracle import Oracle

TASK = "twenty_questions"
KB_PATH = Path(__file__).parent / "data" / "twenty_questions.json"
MAX_QUESTIONS = 20

PAPER_NORMALISATION = Normalisation(-20.0, -17.3, -12.6, "paper")
# Measured with measure_normalisation() (n=1000, seed=0): min is the worst possible return, avg the
# behaviour dataset's mean, max the information-gain solver's mean over every object in the KB.
MEASURED_NORMALISATION = Normalisation(-20.0, -15.321, -7.3112, "measured")


def normalise(text: str) -> str:
    """Lower case, apostrophes dropped, everything but letters and digits turned into single spaces."""
    text = text.lower().replace("'", "").replace("\u2019", "")
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


# (key, pattern, inverted): the first pattern found in the normalised question decides what it asks.
# A key is an attribute or "category:<name>"; an inverted pattern asks the opposite ("Is it small?").
# Order matters where phrases overlap ("eat meat" before "eat", "four legs" before "legs").
QUESTION_PATTERNS: list[tuple[str, str, bool]] = [
    (
        "eats_meat",
        r"\beats? (?:meat|other animals|animals|fish|insects|bugs|blood)\b|\bcarnivor|\bpredator|\bhunts?\b|\bmeat eater|\bomnivor",
        False,
    ),
    ("contains_meat", r"\bmeat\b", False),
    ("lays_eggs", r"\blays? eggs\b|\begg laying\b|\bhatch", False),
    ("is_farm_animal", r"\bfarms?\b|\blivestock\b", False),
    ("is_pet", r"\bpets?\b", False),
    ("is_wild", r"\bdomestic|\btame\b", True),
    ("is_wild", r"\bwild\b", False),
    ("is_mammal", r"\bmammals?\b", False),
    ("is_bird", r"\bbirds?\b", False),
    ("is_fish", r"\bfish(?:es)?\b", False),
    ("is_insect", r"\binsects?\b|\bbugs?\b", False),
    ("category:reptile", r"\breptiles?\b", False),
    ("is_flower", r"\bflowers?\b|\bbloom|\bblossom", False),
    ("has_leaves", r"\bleaf\b|\bleaves\b", False),
    ("has_seeds", r"\bseeds?\b", False),
    ("grows_on_trees", r"\bgrows? on (?:a )?trees?\b|\bfrom (?:a )?trees?\b|\bon trees?\b", False),
    ("comes_from_a_plant", r"\b(?:comes?|made|grows?) (?:from|on) (?:a )?plants?\b|\bplant based\b", False),
    ("is_plant", r"\bplants?\b|\bvegetation\b", False),
    ("is_animal", r"\banimals?\b|\bcreatures?\b|\bbeasts?\b", False),
    ("lives_in_water", r"\b(?:on|live on|lives on) land\b", True),
    (
        "lives_in_water",
        r"\b(?:lives?|living|found|used|goes|go|travels?|floats?|be) (?:in|on|under|near) (?:the )?(?:water|sea|ocean|river|lake|pond)\b|\baquatic\b|\bmarine\b|\bunderwater\b|\bin (?:the )?(?:water|sea|ocean)\b",
        False,
    ),
    ("can_swim", r"\bswim", False),
    ("can_fly", r"\bfly\b|\bflies\b|\bflying\b|\bin the (?:air|sky)\b", False),
    ("has_wings", r"\bwings?\b", False),
    ("has_feathers", r"\bfeather", False),
    ("has_fur", r"\bfur\b|\bfurry\b|\bhair|\bhairy\b", False),
    ("has_four_legs", r"\b(?:four|4) legs\b|\bquadruped|\bon all fours\b", False),
    ("has_legs", r"\blegs?\b|\bwalk", False),
    ("has_tail", r"\btails?\b", False),
    ("has_a_shell", r"\bshells?\b", False),
    ("has_strings", r"\bstrings?\b|\bstringed\b", False),
    ("blown_into", r"\bblow", False),
    ("is_dangerous", r"\bsafe\b|\bharmless\b", True),
    (
        "is_dangerous",
        r"\bdanger|\bdeadly\b|\bharm|\bhurt|\binjur|\bkill|\bpoison|\bvenom|\bbites?\b|\bstings?\b|\bscary\b|\bweapon|\bthreat",
        False,
    ),
    ("is_alcoholic", r"\balcohol|\bdrunk\b|\bbooze\b", False),
    ("is_fizzy", r"\bfizz|\bcarbonat|\bbubbl|\bsparkling\b", False),
    ("is_bitter", r"\bbitter\b", False),
    ("is_sweet", r"\bsweet|\bsugar|\bdessert", False),
    ("is_liquid", r"\bliquid|\bfluid|\bpour|\bwet\b", False),
    ("category:drink", r"\bdrinks?\b|\bdrinking\b|\bbeverages?\b", False),
    ("found_in_kitchen", r"\bused (?:for|to|in|when|while) (?:cook|bak)|\bcook(?:ing)? with\b", False),
    ("usually_cooked", r"\bcook|\bbake|\bbaked\b|\bfried\b|\bfry\b|\bboil|\bgrill|\braw\b", False),
    (
        "category:prepared food",
        r"\bmeals?\b|\bsnacks?\b|\bjunk food\b|\bfast food\b|\bprepared food\b|\bbaked goods?\b",
        False,
    ),
    (
        "is_edible",
        r"\bedible\b|\beat\b|\beats\b|\beating\b|\beaten\b|\bfoods?\b|\btaste|\btasty\b|\bnutriti",
        False,
    ),
    ("category:fruit", r"\bfruits?\b|\bberry\b|\bberries\b", False),
    ("category:vegetable", r"\bvegetables?\b|\bveggies?\b|\bveg\b", False),
    (
        "category:kitchen item",
        r"\bkitchen (?:items?|utensils?|tools?|appliances?|gadgets?|objects?|things?)\b|\bkitchenware\b|\butensils?\b|\bcookware\b|\bcutlery\b|\bsilverware\b",
        False,
    ),
    ("found_in_kitchen", r"\bkitchen", False),
    ("found_in_bathroom", r"\bbathroom|\btoilet|\bbath\b|\bshower", False),
    ("category:household item", r"\bhousehold\b", False),
    ("keeps_you_warm", r"\bkeeps? (?:you |me |people |someone )?warm\b|\bfor (?:the )?cold\b", False),
    ("worn_on_head", r"\b(?:on|over) (?:your |the |my |a |ones )?(?:head|ears|face)\b", False),
    ("worn_on_feet", r"\b(?:on|over) (?:your |the |my |ones )?(?:feet|foot)\b|\bfootwear\b", False),
    ("worn_on_hands", r"\b(?:on|over) (?:your |the |my |ones )?hands?\b", False),
    ("category:clothing", r"\bcloth(?:ing|es)\b|\bgarments?\b|\bapparel\b|\boutfit|\bfashion", False),
    ("is_worn", r"\bwear|\bworn\b|\bput on\b|\baccessor", False),
    ("is_public_transport", r"\bpublic transport|\bpublic transit\b|\bmass transit\b|\bpassengers?\b", False),
    ("carries_cargo", r"\bcargo\b|\bgoods\b|\bfreight\b|\bdeliver|\bhaul", False),
    ("travels_on_roads", r"\broads?\b|\bstreets?\b|\bhighways?\b|\bdrive on\b", False),
    ("category:vehicle", r"\bvehicles?\b", False),
    (
        "used_for_transport",
        r"\btransport|\btravel|\bride\b|\bridden\b|\bcommut|\bget around\b|\bcarr(?:y|ies) people\b|\bjourney",
        False,
    ),
    (
        "has_engine",
        r"\bengines?\b|\bmotors?\b|\bmotori[sz]ed\b|\bfuel\b|\bgasoline\b|\bpetrol\b|\bdiesel\b",
        False,
    ),
    ("has_wheels", r"\bwheels?\b|\bwheeled\b", False),
    ("has_screen", r"\bscreens?\b|\bdisplay|\bmonitor", False),
    (
        "category:electronic device",
        r"\belectronic devices?\b|\bgadgets?\b|\belectronics\b|\bdevices?\b",
        False,
    ),
    (
        "uses_electricity",
        r"\belectric|\bbatter(?:y|ies)\b|\bplug|\bpowered\b|\bpower\b|\bcharg|\boutlet\b|\bsocket\b|\bswitch (?:it )?on\b|\bturn (?:it )?on\b",
        False,
    ),
    ("category:musical instrument", r"\binstruments?\b|\bmusic|\bplay(?:ed)? it\b|\bplay a tune\b", False),
    ("makes_sound", r"\bsilent\b|\bquiet\b", True),
    (
        "makes_sound",
        r"\bsounds?\b|\bnois|\bloud\b|\bbarks?\b|\bsings?\b|\bhear\b|\brings?\b|\bbeeps?\b|\bbuzz",
        False,
    ),
    ("category:sports equipment", r"\bsports?\b|\bathlet|\bexercis|\bgym\b|\bgames?\b|\bteam\b", False),
    ("category:toy", r"\btoys?\b|\bplay with\b|\bplaything\b", False),
    ("category:office supply", r"\boffice\b|\bstationery\b|\bschool suppl", False),
    (
        "category:tool",
        r"\btools?\b|\bfix things\b|\brepair|\bbuild things\b|\bconstruction\b|\bhardware\b",
        False,
    ),
    ("category:furniture", r"\bfurniture\b|\bfurnishings?\b", False),
    ("is_man_made", r"\bnatural\b|\bnaturally\b|\bin nature\b", True),
    (
        "is_man_made",
        r"\bman made\b|\bhuman made\b|\bartificial|\bmanufactur|\bmade by (?:people|humans|man|a person|a machine)\b|\bsynthetic\b|\bfactory\b|\binvented\b",
        False,
    ),
    (
        "found_outdoors",
        r"\boutdoors?\b|\boutside\b|\bout of doors\b|\bgarden|\bforests?\b|\bjungle\b|\bthe woods\b|\bin the wild\b",
        False,
    ),
    ("made_of_metal", r"\bmetal|\bsteel\b|\biron\b|\balumin|\bbrass\b|\bcopper\b|\bchrome\b", False),
    ("made_of_wood", r"\bwood|\btimber\b", False),
    ("made_of_plastic", r"\bplastic", False),
    ("made_of_fabric", r"\bfabric|\bcloth\b|\bcotton\b|\bwool|\btextile|\bsilk\b|\bnylon\b", False),
    ("made_of_paper", r"\bpaper\b|\bcardboard\b", False),
    ("is_fragile", r"\bfragile\b|\bbreak|\bdelicate\b|\bshatter", False),
    (
        "bigger_than_a_person",
        r"\b(?:smaller|shorter|lighter) than (?:a |an |the )?(?:person|human|man|woman|adult|people|me|you)\b",
        True,
    ),
    (
        "bigger_than_a_person",
        r"\b(?:bigger|larger|taller|heavier|longer) than (?:a |an |the )?(?:person|human|man|woman|adult|people|me|you|grown)\b",
        False,
    ),
    ("bigger_than_a_breadbox", r"\bsmaller than (?:a |an |the )?bread ?box\b", True),
    ("bigger_than_a_breadbox", r"\b(?:bigger|larger) than (?:a |an |the )?bread ?box\b", False),
    ("fits_in_a_pocket", r"\bpockets?\b", False),
    (
        "bigger_than_a_breadbox",
        r"\b(?:small|tiny|little|miniature)\b(?! than)|\bhold (?:it )?in (?:your |one |a |my )?hands?\b|\bhand ?held\b|\bpick it up\b",
        True,
    ),
    ("bigger_than_a_breadbox", r"\b(?:big|large|huge|giant|enormous)\b(?! than)", False),
    (
        "is_sharp",
        r"\bsharp|\bpointy\b|\bpointed\b|\bcuts?\b|\bcutting\b|\bblades?\b|\bspiky\b|\bthorn|\bspines?\b",
        False,
    ),
    ("is_round", r"\bround|\bspher|\bcircular\b|\bcircle\b|\bball shaped\b|\boval\b", False),
    ("is_soft", r"\bhard\b|\bsolid\b|\brigid\b", True),
    ("is_soft", r"\bsoft|\bsquish|\bcuddl|\bfluffy\b", False),
    ("is_expensive", r"\bcheap|\binexpensive\b|\baffordable\b", True),
    (
        "is_expensive",
        r"\bexpensive\b|\bcostly\b|\bpric|\bcosts?\b|\bvaluable\b|\bworth\b|\bmoney\b|\bdollars?\b",
        False,
    ),
    (
        "is_container",
        r"\bcontainers?\b|\bcontain|\bstorage\b|\b(?:hold|holds|store|stores|keep|keeps) (?:other )?(?:things|stuff|objects|items)\b|\bput (?:something|things|stuff) (?:in|inside)\b",
        False,
    ),
    ("gets_hot", r"\bhot\b|\bheat|\bwarm|\bburn|\bfire\b|\bflames?\b", False),
    ("is_red", r"\bred\b", False),
    ("is_yellow", r"\byellow\b|\bgolden\b", False),
    ("is_green", r"\bgreen\b", False),
    (
        "found_in_a_house",
        r"\bhouses?\b|\bhomes?\b|\bindoors?\b|\binside\b|\bbedroom\b|\bliving room\b|\bapartment\b",
        False,
    ),
    ("is_alive", r"\binanimate\b|\bnon ?living\b|\bdead\b|\bobject\b", True),
    ("is_alive", r"\balive\b|\bliving\b|\borganism|\bbreathe|\bbiological\b|\bgrows?\b", False),
]

# How the question-asking policies phrase each attribute: every phrasing parses back to its attribute.
PHRASINGS: dict[str, list[str]] = {
    "is_alive": ["Is it alive?", "Is it a living thing?", "Is it alive right now?"],
    "is_animal": ["Is it an animal?", "Is it a kind of animal?", "Is it a creature?"],
    "is_plant": ["Is it a plant?", "Is it a type of plant?"],
    "comes_from_a_plant": ["Does it come from a plant?", "Does it grow on a plant?"],
    "is_mammal": ["Is it a mammal?"],
    "is_bird": ["Is it a bird?", "Is it a kind of bird?"],
    "is_fish": ["Is it a fish?"],
    "is_insect": ["Is it an insect?", "Is it a bug?"],
    "is_flower": ["Is it a flower?", "Does it have flowers?"],
    "has_fur": ["Does it have fur?", "Is it furry?", "Does it have hair?"],
    "has_feathers": ["Does it have feathers?"],
    "has_wings": ["Does it have wings?"],
    "lays_eggs": ["Does it lay eggs?"],
    "eats_meat": ["Does it eat meat?", "Is it a carnivore?", "Does it eat other animals?"],
    "is_pet": ["Is it a pet?", "Do people keep it as a pet?"],
    "is_wild": ["Is it a wild animal?", "Does it live in the wild?"],
    "is_farm_animal": ["Is it a farm animal?", "Would you find it on a farm?"],
    "lives_in_water": ["Does it live in water?", "Is it found in the sea?", "Is it used on water?"],
    "can_fly": ["Can it fly?", "Does it fly?"],
    "can_swim": ["Can it swim?"],
    "has_legs": ["Does it have legs?"],
    "has_four_legs": ["Does it have four legs?", "Does it walk on four legs?"],
    "has_tail": ["Does it have a tail?"],
    "has_a_shell": ["Does it have a shell?"],
    "is_dangerous": ["Is it dangerous?", "Can it hurt you?", "Could it kill a person?"],
    "is_edible": ["Can you eat it?", "Is it edible?", "Is it food?", "Do people eat it?"],
    "is_sweet": ["Is it sweet?", "Does it taste sweet?"],
    "is_bitter": ["Is it bitter?"],
    "is_liquid": ["Is it a liquid?", "Can you pour it?"],
    "is_alcoholic": ["Does it contain alcohol?", "Is it alcoholic?"],
    "is_fizzy": ["Is it fizzy?", "Is it carbonated?"],
    "contains_meat": ["Does it contain meat?", "Is there meat in it?"],
    "usually_cooked": ["Is it usually cooked?", "Do you cook it before eating it?"],
    "grows_on_trees": ["Does it grow on trees?"],
    "has_seeds": ["Does it have seeds?"],
    "has_leaves": ["Does it have leaves?"],
    "is_man_made": ["Is it man-made?", "Is it made by people?", "Is it artificial?"],
    "made_of_metal": ["Is it made of metal?", "Is it metallic?"],
    "made_of_wood": ["Is it made of wood?", "Is it wooden?"],
    "made_of_plastic": ["Is it made of plastic?"],
    "made_of_fabric": ["Is it made of fabric?", "Is it made of cloth?"],
    "made_of_paper": ["Is it made of paper?"],
    "is_fragile": ["Is it fragile?", "Does it break easily?"],
    "uses_electricity": ["Does it use electricity?", "Is it electric?", "Does it need batteries?"],
    "has_screen": ["Does it have a screen?"],
    "has_wheels": ["Does it have wheels?"],
    "has_engine": ["Does it have an engine?", "Does it have a motor?"],
    "used_for_transport": ["Is it used for transportation?", "Can you ride it?"],
    "is_public_transport": ["Is it public transport?", "Does it carry passengers?"],
    "travels_on_roads": ["Does it travel on roads?", "Does it go on the road?"],
    "carries_cargo": ["Does it carry cargo?", "Is it used to carry goods?"],
    "bigger_than_a_breadbox": ["Is it bigger than a breadbox?", "Is it big?", "Is it large?"],
    "bigger_than_a_person": ["Is it bigger than a person?", "Is it larger than a human?"],
    "fits_in_a_pocket": ["Can it fit in your pocket?", "Would it fit in a pocket?"],
    "found_in_kitchen": ["Is it found in a kitchen?", "Would I find it in the kitchen?"],
    "found_in_bathroom": ["Is it found in a bathroom?"],
    "found_in_a_house": ["Is it found in a house?", "Would you find it in a home?", "Is it kept indoors?"],
    "found_outdoors": ["Is it found outdoors?", "Is it usually outside?"],
    "is_worn": ["Do you wear it?", "Is it worn?", "Can you wear it?"],
    "worn_on_head": ["Do you wear it on your head?"],
    "worn_on_feet": ["Do you wear it on your feet?"],
    "worn_on_hands": ["Do you wear it on your hands?"],
    "keeps_you_warm": ["Does it keep you warm?"],
    "makes_sound": ["Does it make a sound?", "Does it make noise?", "Is it loud?"],
    "has_strings": ["Does it have strings?"],
    "blown_into": ["Do you blow into it?"],
    "is_sharp": ["Is it sharp?", "Can it cut things?"],
    "is_round": ["Is it round?", "Is it circular?"],
    "is_soft": ["Is it soft?"],
    "is_expensive": ["Is it expensive?", "Does it cost a lot of money?"],
    "is_container": ["Is it a container?", "Can you store things in it?"],
    "gets_hot": ["Does it get hot?", "Is it hot?"],
    "is_red": ["Is it red?"],
    "is_yellow": ["Is it yellow?"],
    "is_green": ["Is it green?"],
}

# Questions the oracle cannot parse (answered "No."): the random part of the behaviour policy asks them.
CHATTER = [
    "Is it something I would like?",
    "Hmm, let me think. Is it interesting?",
    "Would my grandmother have one?",
    "Is it popular?",
    "Is it older than me?",
    "Is it famous?",
    "Does it start with the letter B?",
]

MASS_NOUNS = {
    "water", "milk", "tea", "coffee", "beer", "wine", "juice", "soda", "bread", "cheese", "pasta", "soup",
    "grass", "corn", "bamboo", "garlic", "broccoli", "lettuce", "chocolate", "ice cream", "scissors", "jeans",
    "headphones", "lego",
}  # fmt: skip
GUESS_LEADS = (
    "so", "ok", "okay", "well", "hmm", "then", "and", "alright", "now", "is it", "is this", "is that",
    "it is", "its", "it s", "was it", "could it be", "can it be", "might it be", "would it be", "are you thinking of",
    "were you thinking of", "are you thinking about", "is the object", "is the answer", "is the thing",
    "is the item", "is the secret", "is the word", "the object is", "the answer is", "my guess is",
    "my final guess is", "i guess", "i think it is", "i think its", "i think it s", "i guess it is",
    "i guess its", "guess", "final guess", "how about", "what about", "do you mean", "a", "an", "the",
    "some", "kind of", "type of", "sort of", "kind of a", "type of a", "sort of a",
)  # fmt: skip
GUESS_TAILS = ("right", "then", "maybe", "perhaps", "please", "or not", "by any chance", "isnt it", "is it")


@dataclass(frozen=True)
class Question:
    """What a question asks: kind is "attribute", "category" or "guess"; inverted flips the answer."""

    kind: str
    key: str
    inverted: bool = False


def _plurals(name: str) -> set[str]:
    """The name and simple plurals of its last word (apple/apples, box/boxes, cherry/cherries, knife/knives)."""
    *head, last = name.split(" ")
    forms = {last, last + "s", last + "es"}
    if last.endswith("y"):
        forms.add(last[:-1] + "ies")
    if last.endswith("fe"):
        forms.add(last[:-2] + "ves")
    if last.endswith("f"):
        forms.add(last[:-1] + "ves")
    return {" ".join([*head, f]) for f in forms}


def _strip_edges(text: str) -> str:
    """Remove leading "is it a"-style phrases and trailing fillers, repeatedly."""
    changed = True
    while changed and text:
        changed = False
        for lead in GUESS_LEADS:
            if text == lead:
                return ""
            if text.startswith(lead + " "):
                text, changed = text[len(lead) + 1 :], True
        for tail in GUESS_TAILS:
            if text.endswith(" " + tail):
                text, changed = text[: -len(tail) - 1], True
    return text


class KnowledgeBase:
    """Objects, their attributes and categories, and the question parser over them."""

    def __init__(self, raw: dict[str, Any]):
        self.attributes: list[str] = [a["name"] for a in raw["attributes"]]
        self.categories: list[str] = [c["name"] for c in raw["categories"]]
        self.objects: list[dict[str, Any]] = raw["objects"]
        self.by_name = {o["name"]: o for o in self.objects}
        self.surface: dict[str, Question] = {}  # exact phrase after "is it a" -> guess or category
        for c in raw["categories"]:
            for phrase in [c["name"], *c["synonyms"]]:
                for form in _plurals(normalise(phrase)):
                    self.surface[form] = Question("category", c["name"])
        for o in self.objects:
            for phrase in [o["name"], *o["synonyms"]]:
                for form in _plurals(normalise(phrase)):
                    self.surface[form] = Question("guess", o["name"])  # object names win over categories
        known = set(self.attributes) | {f"category:{c}" for c in self.categories}
        missing = {k for k, _, _ in QUESTION_PATTERNS} - known
        if missing:
            raise EnvError(f"question patterns name unknown attributes or categories: {sorted(missing)}")
        self.patterns = [(k, re.compile(p), inv) for k, p, inv in QUESTION_PATTERNS]
        self.parse = lru_cache(maxsize=65536)(self._parse)
        self._masks: dict[Question, int] = {}

    def _parse(self, text: str) -> Question | None:
        words = normalise(text)
        remainder = _strip_edges(words)
        if remainder in self.surface:
            return self.surface[remainder]
        for key, pattern, inverted in self.patterns:
            if pattern.search(words):
                if key.startswith("category:"):
                    return Question("category", key.split(":", 1)[1], inverted)
                return Question("attribute", key, inverted)
        return None

    def answer(self, question: Question, obj: dict[str, Any]) -> bool:
        if question.kind == "guess":
            return obj["name"] == question.key
        if question.kind == "category":
            truth = obj["category"] == question.key
        else:
            truth = bool(obj["attributes"][question.key])
        return truth != question.inverted

    def mask(self, question: Question) -> int:
        """Bit i set when object i answers yes: lets the solvers filter candidates with integer ops."""
        if question not in self._masks:
            bits = sum(1 << i for i, o in enumerate(self.objects) if self.answer(question, o))
            self._masks[question] = bits
        return self._masks[question]

    def guess_text(self, name: str) -> str:
        if name in MASS_NOUNS:
            return f"Is it {name}?"
        article = "an" if name[0] in "aeiou" else "a"
        return f"Is it {article} {name}?"


@cache
def load_kb(path: str = str(KB_PATH)) -> KnowledgeBase:
    try:
        raw = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise EnvError(f"cannot read the twenty questions knowledge base {path}: {exc}") from None
    return KnowledgeBase(raw)


class KnowledgeBaseOracle:
    """Answers from the attribute table: "Yes." / "No.", and "No." to anything it cannot parse."""

    def __init__(self, kb: KnowledgeBase | None = None):
        self.kb = kb or load_kb()

    def reply(self, task: str, secret: dict[str, Any], history: Sequence[Turn], utterance: str) -> str:
        question = self.kb.parse(utterance)
        if question is None:
            return "No."
        return "Yes." if self.kb.answer(question, self.kb.by_name[secret["object"]]) else "No."


class TwentyQuestionsEnv(TextEnv):
    name = TASK
    max_steps = MAX_QUESTIONS
    normalisation = MEASURED_NORMALISATION
    paper_normalisation = PAPER_NORMALISATION
    agent_role = "questioner"

    def __init__(
        self, oracle: Oracle | None = None, object_name: str | None = None, kb_path: str | None = None
    ):
        super().__init__()
        self.kb = load_kb(kb_path) if kb_path else load_kb()
        if object_name is not None and object_name not in self.kb.by_name:
            raise EnvError(f"{object_name!r} is not an object in the twenty questions knowledge base")
        self.oracle: Oracle = oracle or KnowledgeBaseOracle(self.kb)
        self.object_name = object_name
        self.secret: dict[str, Any] = {}

    def _reset(self) -> str:
        name = self.object_name or self.rng.choice(self.kb.objects)["name"]
        self.secret = {"object": name, "category": self.kb.by_name[name]["category"]}
        return f"I am thinking of an object. Ask me yes/no questions to find it; you have {MAX_QUESTIONS} questions."

    def _step(self, action: str) -> StepResult:
        reply = self.oracle.reply(self.name, self.secret, self.history[:-1], action)
        question = self.kb.parse(action)
        solved = question is not None and question.kind == "guess" and question.key == self.secret["object"]
        return StepResult(reply, 0.0 if solved else -1.0, solved, {"solved": solved})

    def render(self) -> dict[str, Any]:
        state = super().render()
        state["questions_left"] = MAX_QUESTIONS - self.steps
        if self.done:
            state["object"] = self.secret.get("object")
        return state


@register_task(TASK)
def make(**options: Any) -> TwentyQuestionsEnv:
    return TwentyQuestionsEnv(**options)


# --- solvers and the behaviour policy (they read only the dialogue, never the secret)


def candidates(kb: KnowledgeBase, history: History) -> int:
    """Bitmask of the objects consistent with every parsed question and its yes/no reply so far."""
    alive = (1 << len(kb.objects)) - 1
    turns = list(history)
    for asked, replied in zip(turns, turns[1:], strict=False):
        if not asked.is_action or replied.is_action:
            continue
        question = kb.parse(asked.text)
        answer = normalise(replied.text).split(" ")[0]
        if question is None or answer not in ("yes", "no"):
            continue
        mask = kb.mask(question)
        alive &= mask if answer == "yes" else ~mask
    return alive


def _members(mask: int) -> list[int]:
    return [i for i in range(mask.bit_length()) if mask >> i & 1]


def _cost_estimate(n: int) -> float:
    """Rough expected number of further non-final questions for n candidates."""
    if n <= 1:
        return 0.0
    return (n - 1) / 2 if n <= 4 else math.log2(n)


def best_question(kb: KnowledgeBase, alive: int, rng: random.Random | None = None) -> str:
    """The information-gain move: a guess when guessing is as cheap as splitting, else the best split."""
    members = _members(alive)
    n = len(members)
    if n == 0:  # inconsistent answers (an LM oracle, say): guess at random
        return kb.guess_text((rng or random).choice(kb.objects)["name"])
    guess = kb.objects[rng.choice(members) if rng else members[0]]["name"]
    guess_cost = (n - 1) / n * (1 + _cost_estimate(n - 1))
    best, best_cost = None, guess_cost
    for question in _question_bank(kb):
        yes = (kb.mask(question) & alive).bit_count()
        if 0 < yes < n:
            cost = 1 + (yes * _cost_estimate(yes) + (n - yes) * _cost_estimate(n - yes)) / n
            if cost < best_cost - 1e-9:
                best, best_cost = question, cost
    if best is None:
        return kb.guess_text(guess)
    return _phrase(kb, best, rng)


@cache
def _question_bank(kb: KnowledgeBase) -> list[Question]:
    return [Question("attribute", a) for a in kb.attributes] + [
        Question("category", c) for c in kb.categories
    ]


def _phrase(kb: KnowledgeBase, question: Question, rng: random.Random | None) -> str:
    if question.kind == "category":
        options = [f"Is it a kind of {question.key}?", f"Is it a type of {question.key}?"]
    else:
        options = PHRASINGS[question.key]
    return rng.choice(options) if rng else options[0]


def solver_policy(env: TextEnv, history: History) -> str:
    kb = env.kb  # type: ignore[attr-defined]
    return best_question(kb, candidates(kb, history))


def random_question(kb: KnowledgeBase, rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.6:
        return rng.choice(PHRASINGS[rng.choice(kb.attributes)])
    if roll < 0.75:
        return _phrase(kb, Question("category", rng.choice(kb.categories)), rng)
    if roll < 0.9:
        return kb.guess_text(rng.choice(kb.objects)["name"])
    return rng.choice(CHATTER)


SOLVER_SHARE = 0.4


@behaviour(
    TASK,
    f"each question: {SOLVER_SHARE:.0%} the information-gain questioner (guesses a random consistent object "
    "once at most 3 remain), otherwise random: 60% a random attribute question, 15% a random category, "
    "15% a random object guess, 10% an unparseable question",
)
def make_behaviour(rng: random.Random):
    def policy(env: TextEnv, history: History) -> str:
        kb = env.kb  # type: ignore[attr-defined]
        if rng.random() < SOLVER_SHARE:
            return best_question(kb, candidates(kb, history), rng)
        return random_question(kb, rng)

    return policy


def measure_normalisation(n: int = 1000, seed: int = 0) -> Normalisation:
    """min: every question wasted; avg: the behaviour dataset's mean return (the trajectories
    `datasets.generate(TASK, n, seed, ...)` writes); max: the solver's mean over every object."""
    from ml.rl.envs.trajectories import rollout

    env = TwentyQuestionsEnv()
    policy = make_behaviour(random.Random(seed))
    avg = sum(rollout(env, policy, seed * 1_000_003 + i).ret for i in range(n)) / n
    returns = []
    for obj in env.kb.objects:
        solver_env = TwentyQuestionsEnv(object_name=obj["name"])
        returns.append(rollout(solver_env, solver_policy, 0).ret)
    return Normalisation(
        -float(MAX_QUESTIONS), round(avg, 4), round(sum(returns) / len(returns), 4), "measured"
    )
