"""Build twenty_questions.json: the Twenty Questions knowledge base, written by hand.

    python -m ml.rl.envs.data.make_twenty_questions

Each category sets the attributes that are usually true for its members; each object then adds
("+attr") or removes ("-attr") attributes from those defaults. Every attribute therefore has a value for
every object, and two objects of a kind only differ where we said so. The build fails if an override
names an unknown attribute, repeats a default, or leaves two objects indistinguishable.
"""

from __future__ import annotations

import json
from pathlib import Path

OUT = Path(__file__).with_name("twenty_questions.json")

# name -> what "yes" means (the answers follow these definitions, not every possible reading)
ATTRIBUTES: dict[str, str] = {
    "is_alive": "a living organism (animals and growing plants; picked fruit and vegetables are not)",
    "is_animal": "an animal",
    "is_plant": "a growing plant (trees, flowers, grass); fruit and vegetables are parts of plants, not plants",
    "comes_from_a_plant": "fruit, vegetables, or a drink made directly from a plant (coffee, tea, juice)",
    "is_mammal": "a mammal",
    "is_bird": "a bird",
    "is_fish": "a fish",
    "is_insect": "an insect",
    "is_flower": "a flowering plant grown for its flowers",
    "has_fur": "has fur or hair",
    "has_feathers": "has feathers",
    "has_wings": "has wings (animals, and aeroplanes)",
    "lays_eggs": "lays eggs",
    "eats_meat": "eats other animals (including insects, fish or blood)",
    "is_pet": "commonly kept as a pet",
    "is_wild": "mostly lives in the wild (animals only)",
    "is_farm_animal": "commonly kept on farms",
    "lives_in_water": "lives in water, or is used on or in water",
    "can_fly": "can fly (or float up into the air)",
    "can_swim": "swims or moves under water",
    "has_legs": "has legs (animals; furniture standing on legs)",
    "has_four_legs": "has exactly four legs",
    "has_tail": "has a tail (animals; aeroplanes, helicopters and kites)",
    "has_a_shell": "has a hard shell",
    "is_dangerous": "can seriously hurt a person in an ordinary encounter",
    "is_edible": "people commonly eat or drink it",
    "is_sweet": "tastes sweet",
    "is_bitter": "tastes bitter",
    "is_liquid": "is a liquid",
    "is_alcoholic": "contains alcohol",
    "is_fizzy": "is fizzy",
    "contains_meat": "contains meat (prepared food)",
    "usually_cooked": "usually cooked (or baked) before it is eaten",
    "grows_on_trees": "grows on trees",
    "has_seeds": "has or produces seeds",
    "has_leaves": "has leaves",
    "is_man_made": "made by people",
    "made_of_metal": "made mostly of metal",
    "made_of_wood": "made mostly of wood",
    "made_of_plastic": "made mostly of plastic",
    "made_of_fabric": "made mostly of fabric",
    "made_of_paper": "made mostly of paper or cardboard",
    "is_fragile": "breaks easily",
    "uses_electricity": "uses electricity or batteries",
    "has_screen": "has a screen or display",
    "has_wheels": "has wheels",
    "has_engine": "has an engine or motor",
    "used_for_transport": "used to carry people from place to place",
    "is_public_transport": "a form of public transport",
    "travels_on_roads": "travels on roads",
    "carries_cargo": "mainly used to carry goods",
    "bigger_than_a_breadbox": "bigger than a breadbox (about 40 cm long)",
    "bigger_than_a_person": "bigger than an adult person",
    "fits_in_a_pocket": "fits in a trouser pocket",
    "found_in_kitchen": "usually found in a kitchen",
    "found_in_bathroom": "usually found in a bathroom",
    "found_in_a_house": "usually found inside a home",
    "found_outdoors": "usually found or used outdoors",
    "is_worn": "worn on the body",
    "worn_on_head": "worn on the head",
    "worn_on_feet": "worn on the feet",
    "worn_on_hands": "worn on the hands",
    "keeps_you_warm": "worn to keep warm",
    "makes_sound": "makes a noticeable sound or noise",
    "has_strings": "has strings",
    "blown_into": "you blow into it",
    "is_sharp": "sharp or pointed enough to cut or prick",
    "is_round": "round (ball-shaped or circular)",
    "is_soft": "soft to the touch",
    "is_expensive": "usually costs more than $100",
    "is_container": "used to hold or store other things",
    "gets_hot": "is hot, served hot, or gets hot when used",
    "is_red": "usually red",
    "is_yellow": "usually yellow",
    "is_green": "usually green",
}

# category -> (synonyms used in "is it a kind of X?" questions, attributes true by default)
CATEGORIES: dict[str, tuple[list[str], str]] = {
    "mammal": (
        ["mammals"],
        "is_alive is_animal is_mammal has_fur has_legs has_four_legs has_tail is_wild found_outdoors makes_sound bigger_than_a_breadbox",
    ),
    "bird": (
        ["birds"],
        "is_alive is_animal is_bird has_feathers has_wings can_fly lays_eggs has_legs has_tail is_wild found_outdoors makes_sound",
    ),
    "water animal": (
        ["sea creature", "sea animal", "marine animal", "aquatic animal", "ocean animal", "sea life"],
        "is_alive is_animal lives_in_water can_swim is_wild found_outdoors lays_eggs",
    ),
    "insect": (
        ["insects", "bug", "bugs"],
        "is_alive is_animal is_insect has_legs lays_eggs is_wild found_outdoors fits_in_a_pocket has_wings can_fly",
    ),
    "reptile": (
        ["reptiles"],
        "is_alive is_animal has_legs has_four_legs has_tail lays_eggs is_wild found_outdoors eats_meat",
    ),
    "fruit": (
        ["fruits"],
        "comes_from_a_plant is_edible has_seeds found_in_kitchen found_in_a_house is_sweet",
    ),
    "vegetable": (
        ["vegetables", "veggie", "veggies"],
        "comes_from_a_plant is_edible found_in_kitchen found_in_a_house",
    ),
    "plant": (["plants"], "is_alive is_plant has_leaves has_seeds found_outdoors"),
    "prepared food": (
        ["meal", "snack", "dish of food", "junk food", "baked good"],
        "is_edible is_man_made found_in_kitchen found_in_a_house",
    ),
    "drink": (["drinks", "beverage", "beverages"], "is_edible is_liquid found_in_kitchen found_in_a_house"),
    "kitchen item": (
        ["kitchenware", "kitchen utensil", "utensil", "cookware", "kitchen appliance"],
        "is_man_made found_in_kitchen found_in_a_house",
    ),
    "furniture": (
        ["piece of furniture", "furnishing"],
        "is_man_made found_in_a_house bigger_than_a_breadbox",
    ),
    "clothing": (
        ["clothes", "piece of clothing", "garment", "apparel", "item of clothing"],
        "is_man_made is_worn made_of_fabric found_in_a_house is_soft",
    ),
    "vehicle": (
        ["vehicles", "mode of transport", "means of transport"],
        "is_man_made used_for_transport has_engine made_of_metal has_wheels bigger_than_a_breadbox bigger_than_a_person found_outdoors makes_sound is_expensive",
    ),
    "electronic device": (
        ["electronic", "electronics", "gadget", "electronic gadget", "device"],
        "is_man_made uses_electricity found_in_a_house made_of_plastic",
    ),
    "tool": (["tools", "hand tool"], "is_man_made made_of_metal"),
    "musical instrument": (["instrument", "musical instruments", "instruments"], "is_man_made makes_sound"),
    "sports equipment": (
        ["sporting goods", "sports gear", "sports item", "sport equipment"],
        "is_man_made found_outdoors",
    ),
    "office supply": (
        ["stationery", "school supply", "office item", "office supplies", "school supplies"],
        "is_man_made found_in_a_house",
    ),
    "household item": (
        ["household object", "household items", "thing in the house"],
        "is_man_made found_in_a_house",
    ),
    "toy": (["toys", "plaything"], "is_man_made found_in_a_house"),
}

# (name, category, synonyms, overrides of the category defaults)
OBJECTS: list[tuple[str, str, list[str], str]] = [
    # mammals
    ("dog", "mammal", ["puppy"], "+is_pet +found_in_a_house +eats_meat +is_soft -is_wild"),
    (
        "cat",
        "mammal",
        ["kitten", "kitty"],
        "+is_pet +found_in_a_house +eats_meat +is_soft -is_wild -found_outdoors",
    ),
    ("horse", "mammal", ["pony"], "+is_farm_animal +used_for_transport +bigger_than_a_person -is_wild"),
    ("cow", "mammal", ["cattle", "bull"], "+is_farm_animal +bigger_than_a_person -is_wild"),
    ("elephant", "mammal", [], "+bigger_than_a_person +is_dangerous"),
    ("lion", "mammal", [], "+eats_meat +is_dangerous +bigger_than_a_person +is_yellow"),
    ("giraffe", "mammal", [], "+bigger_than_a_person -makes_sound"),
    ("mouse", "mammal", ["mice"], "-bigger_than_a_breadbox +fits_in_a_pocket +found_in_a_house +is_soft"),
    ("rabbit", "mammal", ["bunny"], "-bigger_than_a_breadbox +is_pet +is_soft -makes_sound"),
    ("bear", "mammal", [], "+eats_meat +is_dangerous +bigger_than_a_person"),
    ("monkey", "mammal", [], "-has_four_legs"),
    (
        "whale",
        "mammal",
        [],
        "-has_fur -has_legs -has_four_legs +lives_in_water +can_swim +eats_meat +bigger_than_a_person",
    ),
    ("pig", "mammal", ["hog", "piglet", "swine"], "+is_farm_animal -is_wild -has_fur"),
    ("sheep", "mammal", ["lamb", "ewe"], "+is_farm_animal -is_wild +is_soft"),
    ("bat", "mammal", [], "-has_four_legs +has_wings +can_fly -bigger_than_a_breadbox +eats_meat"),
    # birds
    ("eagle", "bird", [], "+eats_meat +bigger_than_a_breadbox"),
    ("penguin", "bird", [], "-can_fly +can_swim +lives_in_water +eats_meat +bigger_than_a_breadbox"),
    ("chicken", "bird", ["hen", "rooster"], "-can_fly +is_farm_animal -is_wild +is_edible +usually_cooked"),
    ("owl", "bird", [], "+eats_meat"),
    ("parrot", "bird", ["parakeet"], "+is_pet +found_in_a_house -is_wild -found_outdoors"),
    ("duck", "bird", [], "+can_swim +lives_in_water"),
    ("ostrich", "bird", [], "-can_fly +bigger_than_a_breadbox +bigger_than_a_person"),
    ("pigeon", "bird", ["dove"], ""),
    ("flamingo", "bird", [], "+bigger_than_a_breadbox"),
    # water animals
    (
        "shark",
        "water animal",
        [],
        "+is_fish +has_tail +eats_meat +is_dangerous +bigger_than_a_breadbox +bigger_than_a_person",
    ),
    (
        "salmon",
        "water animal",
        [],
        "+is_fish +has_tail +eats_meat +is_edible +usually_cooked +bigger_than_a_breadbox",
    ),
    (
        "tuna",
        "water animal",
        [],
        "+is_fish +has_tail +eats_meat +is_edible +usually_cooked +bigger_than_a_breadbox +bigger_than_a_person",
    ),
    (
        "goldfish",
        "water animal",
        [],
        "+is_fish +has_tail +is_pet +found_in_a_house -is_wild -found_outdoors +fits_in_a_pocket",
    ),
    ("octopus", "water animal", [], "+eats_meat +is_soft +bigger_than_a_breadbox"),
    ("jellyfish", "water animal", [], "+is_dangerous +is_soft"),
    ("crab", "water animal", [], "+has_a_shell +has_legs +is_edible +usually_cooked +eats_meat -can_swim"),
    ("lobster", "water animal", [], "+has_a_shell +has_legs +has_tail +is_edible +usually_cooked +eats_meat"),
    (
        "shrimp",
        "water animal",
        ["prawn"],
        "+has_a_shell +has_legs +has_tail +is_edible +usually_cooked +eats_meat +fits_in_a_pocket",
    ),
    ("starfish", "water animal", ["sea star"], "-can_swim +eats_meat"),
    # insects
    ("bee", "insect", ["honeybee"], "+makes_sound +is_dangerous +is_yellow"),
    ("ant", "insect", [], "-has_wings -can_fly"),
    ("butterfly", "insect", [], ""),
    ("mosquito", "insect", [], "+makes_sound +is_dangerous +eats_meat"),
    ("ladybug", "insect", ["ladybird"], "+is_round +is_red"),
    ("fly", "insect", ["housefly"], "+makes_sound +found_in_a_house"),
    ("grasshopper", "insect", [], "+makes_sound +is_green"),
    ("cockroach", "insect", ["roach"], "-can_fly +found_in_a_house"),
    ("dragonfly", "insect", [], "+eats_meat"),
    # reptiles
    (
        "snake",
        "reptile",
        ["serpent"],
        "-has_legs -has_four_legs +is_dangerous +makes_sound +bigger_than_a_breadbox",
    ),
    (
        "crocodile",
        "reptile",
        [],
        "+is_dangerous +can_swim +lives_in_water +bigger_than_a_breadbox +bigger_than_a_person +is_green",
    ),
    ("turtle", "reptile", ["tortoise"], "+has_a_shell +can_swim +lives_in_water -eats_meat"),
    ("lizard", "reptile", [], ""),
    # fruit
    ("apple", "fruit", [], "+grows_on_trees +is_round +is_red"),
    ("banana", "fruit", [], "+grows_on_trees -has_seeds +is_yellow"),
    ("orange", "fruit", ["tangerine"], "+grows_on_trees +is_round"),
    ("strawberry", "fruit", [], "+fits_in_a_pocket +is_red"),
    ("grape", "fruit", [], "+fits_in_a_pocket +is_round +is_green"),
    ("watermelon", "fruit", ["melon"], "+is_round +bigger_than_a_breadbox +is_green"),
    ("pineapple", "fruit", [], "-has_seeds +has_leaves"),
    ("lemon", "fruit", [], "+grows_on_trees -is_sweet +is_yellow"),
    ("cherry", "fruit", [], "+grows_on_trees +fits_in_a_pocket +is_round +is_red"),
    ("mango", "fruit", [], "+grows_on_trees"),
    ("peach", "fruit", [], "+grows_on_trees +is_round +is_soft"),
    ("coconut", "fruit", [], "+grows_on_trees +has_a_shell +is_round"),
    # vegetables
    ("carrot", "vegetable", [], ""),
    ("potato", "vegetable", [], "+usually_cooked"),
    ("broccoli", "vegetable", [], "+usually_cooked +is_green"),
    ("onion", "vegetable", [], "+usually_cooked +is_round"),
    ("lettuce", "vegetable", [], "+has_leaves +is_green"),
    ("corn", "vegetable", ["maize", "sweetcorn"], "+has_seeds +usually_cooked +is_sweet +is_yellow"),
    ("cucumber", "vegetable", [], "+has_seeds +is_green"),
    ("pumpkin", "vegetable", [], "+has_seeds +usually_cooked +is_round +bigger_than_a_breadbox"),
    ("garlic", "vegetable", [], "+usually_cooked +fits_in_a_pocket"),
    # plants
    ("tree", "plant", [], "+made_of_wood +bigger_than_a_breadbox +bigger_than_a_person +is_green"),
    ("rose", "plant", [], "+is_flower +is_sharp +is_red"),
    ("sunflower", "plant", [], "+is_flower +is_yellow +bigger_than_a_breadbox"),
    ("cactus", "plant", ["cacti"], "-has_leaves +is_sharp +is_green"),
    ("grass", "plant", ["lawn"], "+is_green"),
    ("bamboo", "plant", [], "+is_green +bigger_than_a_breadbox +bigger_than_a_person"),
    ("tulip", "plant", [], "+is_flower"),
    ("fern", "plant", [], "-has_seeds +is_green"),
    # prepared food
    ("pizza", "prepared food", [], "+usually_cooked +is_round +gets_hot"),
    ("bread", "prepared food", ["loaf", "loaf of bread", "toast"], "+usually_cooked +is_soft"),
    ("cheese", "prepared food", [], "+is_yellow"),
    ("egg", "prepared food", ["eggs"], "-is_man_made +has_a_shell +is_fragile +usually_cooked"),
    (
        "hamburger",
        "prepared food",
        ["burger", "cheeseburger"],
        "+usually_cooked +gets_hot +is_round +contains_meat",
    ),
    ("sandwich", "prepared food", [], ""),
    ("cake", "prepared food", [], "+is_sweet +usually_cooked +is_soft +is_round"),
    ("ice cream", "prepared food", [], "+is_sweet +is_soft"),
    ("chocolate", "prepared food", ["candy bar", "chocolate bar"], "+is_sweet +fits_in_a_pocket"),
    ("cookie", "prepared food", ["biscuit"], "+is_sweet +usually_cooked +is_round +fits_in_a_pocket"),
    ("pasta", "prepared food", ["spaghetti", "noodles", "macaroni"], "+usually_cooked +gets_hot"),
    ("soup", "prepared food", [], "+is_liquid +usually_cooked +gets_hot"),
    # drinks
    ("coffee", "drink", [], "+gets_hot +is_man_made +comes_from_a_plant +is_bitter"),
    ("tea", "drink", [], "+gets_hot +is_man_made +comes_from_a_plant"),
    ("milk", "drink", [], ""),
    ("water", "drink", [], "+found_outdoors"),
    ("soda", "drink", ["soft drink", "pop", "fizzy drink"], "+is_sweet +is_man_made +is_fizzy"),
    ("wine", "drink", [], "+is_man_made +is_alcoholic"),
    ("beer", "drink", ["ale", "lager"], "+is_man_made +is_alcoholic +is_bitter +is_fizzy"),
    (
        "juice",
        "drink",
        ["orange juice", "apple juice", "fruit juice"],
        "+is_sweet +is_man_made +comes_from_a_plant",
    ),
    # kitchen items
    ("spoon", "kitchen item", ["teaspoon"], "+made_of_metal"),
    ("fork", "kitchen item", [], "+made_of_metal +is_sharp"),
    ("knife", "kitchen item", ["knives"], "+made_of_metal +is_sharp +is_dangerous"),
    ("plate", "kitchen item", ["dish"], "+is_round +is_fragile"),
    ("cup", "kitchen item", ["mug"], "+is_fragile +is_container"),
    ("frying pan", "kitchen item", ["pan", "skillet"], "+made_of_metal +gets_hot"),
    (
        "refrigerator",
        "kitchen item",
        ["fridge"],
        "+uses_electricity +made_of_metal +bigger_than_a_breadbox +bigger_than_a_person +is_expensive +is_container",
    ),
    (
        "oven",
        "kitchen item",
        ["stove", "cooker"],
        "+uses_electricity +made_of_metal +bigger_than_a_breadbox +gets_hot +is_expensive +is_container",
    ),
    (
        "microwave",
        "kitchen item",
        ["microwave oven"],
        "+uses_electricity +made_of_metal +bigger_than_a_breadbox +gets_hot +is_expensive +is_container +makes_sound",
    ),
    ("toaster", "kitchen item", [], "+uses_electricity +made_of_metal +gets_hot"),
    (
        "kettle",
        "kitchen item",
        ["teapot"],
        "+uses_electricity +made_of_metal +gets_hot +is_container +makes_sound",
    ),
    # furniture
    ("chair", "furniture", [], "+made_of_wood +has_legs +has_four_legs"),
    ("table", "furniture", ["dining table"], "+made_of_wood +has_legs +has_four_legs +is_expensive"),
    (
        "bed",
        "furniture",
        [],
        "+has_legs +has_four_legs +made_of_fabric +is_soft +bigger_than_a_person +is_expensive",
    ),
    (
        "sofa",
        "furniture",
        ["couch", "settee"],
        "+has_legs +has_four_legs +made_of_fabric +is_soft +is_expensive",
    ),
    ("desk", "furniture", [], "+made_of_wood +has_legs +has_four_legs +is_expensive +is_container"),
    ("bookshelf", "furniture", ["bookcase", "shelf"], "+made_of_wood +is_container"),
    ("lamp", "furniture", ["floor lamp", "desk lamp"], "+uses_electricity +gets_hot"),
    (
        "wardrobe",
        "furniture",
        ["cupboard", "armoire"],
        "+made_of_wood +is_container +bigger_than_a_person +is_expensive",
    ),
    (
        "bench",
        "furniture",
        ["park bench"],
        "+made_of_wood +has_legs +has_four_legs +found_outdoors -found_in_a_house",
    ),
    # clothing
    ("shirt", "clothing", ["t-shirt", "tshirt", "t shirt"], ""),
    ("jeans", "clothing", ["pants", "trousers"], "-is_soft"),
    ("shoe", "clothing", ["sneaker", "trainer"], "-is_soft -made_of_fabric +worn_on_feet"),
    ("hat", "clothing", ["cap"], "+worn_on_head"),
    ("sock", "clothing", [], "+worn_on_feet +fits_in_a_pocket"),
    ("jacket", "clothing", ["coat"], "+keeps_you_warm +is_expensive"),
    ("glove", "clothing", ["mitten"], "+worn_on_hands +keeps_you_warm"),
    # vehicles
    ("car", "vehicle", ["automobile"], "+travels_on_roads"),
    (
        "bicycle",
        "vehicle",
        ["bike", "cycle"],
        "-has_engine -makes_sound -bigger_than_a_person +travels_on_roads",
    ),
    ("bus", "vehicle", ["coach"], "+is_public_transport +travels_on_roads"),
    ("train", "vehicle", ["locomotive"], "+is_public_transport +carries_cargo"),
    (
        "airplane",
        "vehicle",
        ["plane", "aeroplane", "jet", "airliner", "aircraft"],
        "+can_fly +has_wings +has_tail +is_public_transport",
    ),
    ("boat", "vehicle", ["ship"], "-has_wheels +lives_in_water"),
    ("motorcycle", "vehicle", ["motorbike"], "-bigger_than_a_person +travels_on_roads"),
    ("helicopter", "vehicle", ["chopper"], "+can_fly +has_tail -has_wheels"),
    ("truck", "vehicle", ["lorry", "pickup truck"], "+carries_cargo +travels_on_roads"),
    ("rocket", "vehicle", ["spaceship", "spacecraft"], "+can_fly +gets_hot -has_wheels"),
    ("submarine", "vehicle", ["sub"], "+lives_in_water +can_swim -has_wheels"),
    # electronic devices
    (
        "smartphone",
        "electronic device",
        ["phone", "cell phone", "cellphone", "mobile phone", "telephone", "iphone"],
        "+has_screen +fits_in_a_pocket +makes_sound +is_expensive +is_fragile",
    ),
    (
        "laptop",
        "electronic device",
        ["computer", "pc", "notebook computer"],
        "+has_screen +makes_sound +is_expensive +is_fragile",
    ),
    (
        "television",
        "electronic device",
        ["tv", "telly", "tv set"],
        "+has_screen +makes_sound +is_expensive +is_fragile +bigger_than_a_breadbox",
    ),
    ("camera", "electronic device", [], "+has_screen +is_expensive"),
    (
        "headphones",
        "electronic device",
        ["headphone", "earphones", "earbuds", "headset"],
        "+is_worn +worn_on_head +makes_sound",
    ),
    ("remote control", "electronic device", ["remote", "tv remote"], ""),
    ("radio", "electronic device", [], "+makes_sound"),
    ("calculator", "electronic device", [], "+has_screen"),
    (
        "game console",
        "electronic device",
        ["video game console", "games console", "playstation", "xbox", "nintendo"],
        "+is_expensive",
    ),
    # tools
    ("hammer", "tool", ["mallet"], "+found_in_a_house"),
    ("screwdriver", "tool", [], "+found_in_a_house +made_of_plastic"),
    ("saw", "tool", [], "+is_sharp +is_dangerous +found_outdoors"),
    ("drill", "tool", ["power drill"], "+uses_electricity +has_engine +makes_sound +found_in_a_house"),
    ("shovel", "tool", ["spade"], "+found_outdoors +bigger_than_a_breadbox"),
    ("ladder", "tool", ["stepladder"], "+bigger_than_a_breadbox +bigger_than_a_person"),
    ("scissors", "tool", ["pair of scissors", "shears"], "+is_sharp +found_in_a_house"),
    ("axe", "tool", ["ax", "hatchet"], "+is_sharp +is_dangerous +made_of_wood +found_outdoors"),
    # musical instruments
    (
        "piano",
        "musical instrument",
        ["grand piano"],
        "+has_strings +made_of_wood +is_expensive +bigger_than_a_breadbox +bigger_than_a_person +has_legs +found_in_a_house",
    ),
    (
        "guitar",
        "musical instrument",
        ["electric guitar"],
        "+has_strings +made_of_wood +is_expensive +bigger_than_a_breadbox +found_in_a_house",
    ),
    (
        "violin",
        "musical instrument",
        ["fiddle"],
        "+has_strings +made_of_wood +is_expensive +bigger_than_a_breadbox +is_fragile",
    ),
    ("drum", "musical instrument", ["drums", "drum kit"], "+is_round +bigger_than_a_breadbox"),
    ("trumpet", "musical instrument", [], "+made_of_metal +is_expensive +blown_into +is_yellow"),
    (
        "harp",
        "musical instrument",
        [],
        "+has_strings +made_of_wood +is_expensive +bigger_than_a_breadbox +bigger_than_a_person",
    ),
    ("harmonica", "musical instrument", [], "+made_of_metal +fits_in_a_pocket +blown_into"),
    ("flute", "musical instrument", [], "+made_of_metal +blown_into +is_expensive"),
    # sports equipment
    ("soccer ball", "sports equipment", ["football"], "+is_round"),
    ("tennis racket", "sports equipment", ["racket", "racquet"], "+has_strings +bigger_than_a_breadbox"),
    ("baseball bat", "sports equipment", [], "+made_of_wood +bigger_than_a_breadbox"),
    ("golf club", "sports equipment", [], "+made_of_metal +bigger_than_a_breadbox"),
    (
        "skateboard",
        "sports equipment",
        [],
        "+has_wheels +used_for_transport +made_of_wood +bigger_than_a_breadbox",
    ),
    (
        "surfboard",
        "sports equipment",
        [],
        "+lives_in_water +made_of_plastic +bigger_than_a_breadbox +is_expensive",
    ),
    ("dumbbell", "sports equipment", ["weights"], "+made_of_metal -found_outdoors +found_in_a_house"),
    ("hockey stick", "sports equipment", [], "+made_of_wood +bigger_than_a_breadbox -found_outdoors"),
    ("bowling ball", "sports equipment", [], "+is_round +made_of_plastic -found_outdoors"),
    # office supplies
    ("pen", "office supply", ["ballpoint pen", "biro"], "+made_of_plastic +fits_in_a_pocket"),
    ("pencil", "office supply", [], "+made_of_wood +fits_in_a_pocket"),
    ("book", "office supply", ["novel"], "+made_of_paper"),
    ("stapler", "office supply", [], "+made_of_metal"),
    ("eraser", "office supply", ["rubber"], "+fits_in_a_pocket +is_soft"),
    ("paper clip", "office supply", ["paperclip"], "+made_of_metal +fits_in_a_pocket"),
    ("ruler", "office supply", [], "+made_of_plastic"),
    ("envelope", "office supply", [], "+made_of_paper +is_container"),
    # household items
    ("key", "household item", ["keys"], "+made_of_metal +fits_in_a_pocket"),
    ("umbrella", "household item", [], "+made_of_fabric +found_outdoors"),
    ("clock", "household item", ["alarm clock", "wall clock"], "+uses_electricity +makes_sound +is_round"),
    ("candle", "household item", [], "+gets_hot"),
    ("toothbrush", "household item", [], "+made_of_plastic +found_in_bathroom"),
    ("towel", "household item", [], "+made_of_fabric +found_in_bathroom +is_soft"),
    ("pillow", "household item", ["cushion"], "+made_of_fabric +is_soft"),
    ("soap", "household item", ["bar of soap"], "+found_in_bathroom"),
    ("mirror", "household item", [], "+found_in_bathroom +is_fragile"),
    ("broom", "household item", [], "+made_of_wood +bigger_than_a_breadbox"),
    (
        "vacuum cleaner",
        "household item",
        ["vacuum", "hoover"],
        "+uses_electricity +has_engine +makes_sound +bigger_than_a_breadbox +has_wheels +is_expensive",
    ),
    ("wallet", "household item", ["purse"], "+fits_in_a_pocket +is_container"),
    ("backpack", "household item", ["rucksack", "school bag"], "+made_of_fabric +is_container +is_worn"),
    # toys
    ("doll", "toy", ["barbie"], "+made_of_plastic"),
    ("teddy bear", "toy", ["teddy", "stuffed animal", "soft toy"], "+made_of_fabric +is_soft"),
    ("kite", "toy", [], "+can_fly +made_of_fabric +has_tail +found_outdoors -found_in_a_house"),
    ("yo-yo", "toy", ["yoyo", "yo yo"], "+is_round +fits_in_a_pocket +made_of_plastic"),
    ("balloon", "toy", [], "+is_round +blown_into +can_fly +is_fragile"),
    ("jigsaw puzzle", "toy", ["puzzle", "jigsaw"], "+made_of_paper"),
    ("lego", "toy", ["lego bricks", "building blocks", "legos"], "+made_of_plastic +fits_in_a_pocket"),
]


def build() -> dict:
    attribute_names = list(ATTRIBUTES)
    objects, signatures = [], {}
    for name, category, synonyms, overrides in OBJECTS:
        synonyms_, defaults = CATEGORIES[category]
        true = set(defaults.split())
        unknown = true - set(attribute_names)
        if unknown:
            raise ValueError(f"category {category}: unknown attributes {sorted(unknown)}")
        for token in overrides.split():
            sign, attr = token[0], token[1:]
            if sign not in "+-" or attr not in ATTRIBUTES:
                raise ValueError(f"{name}: bad override {token!r}")
            if (sign == "+") == (attr in true):
                raise ValueError(f"{name}: {token} repeats the {category} default")
            (true.add if sign == "+" else true.discard)(attr)
        values = {attr: attr in true for attr in attribute_names}
        signature = (category, tuple(values.values()))
        if signature in signatures:
            raise ValueError(f"{name} and {signatures[signature]} have the same attributes")
        signatures[signature] = name
        objects.append({"name": name, "category": category, "synonyms": synonyms, "attributes": values})
    names = [o["name"] for o in objects]
    all_names = names + [s for o in objects for s in o["synonyms"]]
    duplicates = {n for n in all_names if all_names.count(n) > 1}
    if duplicates:
        raise ValueError(f"names used twice: {sorted(duplicates)}")
    return {
        "attributes": [{"name": a, "meaning": m} for a, m in ATTRIBUTES.items()],
        "categories": [{"name": c, "synonyms": s} for c, (s, _) in CATEGORIES.items()],
        "objects": objects,
    }


def main() -> None:
    kb = build()
    OUT.write_text(json.dumps(kb, indent=1) + "\n")
    print(
        f"{OUT}: {len(kb['objects'])} objects, {len(kb['categories'])} categories, {len(kb['attributes'])} attributes"
    )


if __name__ == "__main__":
    main()
