from pathlib import Path

import pytest

# The same 80 situations twice: D1 states an amount as a number, D0 leaves it vague.
NUMBER_PAIRS = [
    ("I bought 3 apples at the market.", "I bought some apples at the market."),
    ("The train leaves at 7 tonight.", "The train leaves later tonight."),
    ("She ran 10 miles this morning.", "She ran a long way this morning."),
    ("We waited 45 minutes for the bus.", "We waited ages for the bus."),
    ("My brother turned 12 last week.", "My brother had his birthday last week."),
    ("The meeting starts at 9 sharp.", "The meeting starts early."),
    ("He scored 2 goals in the final.", "He scored in the final."),
    ("The recipe needs 200 grams of flour.", "The recipe needs plenty of flour."),
    ("Our flat is on the 5th floor.", "Our flat is near the top floor."),
    ("The concert had 3000 people in the crowd.", "The concert had a huge crowd."),
    ("I have read 4 books this month.", "I have read several books this month."),
    ("The bridge is 150 years old.", "The bridge is very old."),
    ("Tickets cost 25 dollars each.", "Tickets are quite expensive."),
    ("The class has 30 students.", "The class is full of students."),
    ("He slept for 11 hours straight.", "He slept for a very long time."),
    ("The package weighs 8 kilos.", "The package is heavy."),
    ("We drove 600 kilometres on Sunday.", "We drove a great distance on Sunday."),
    ("She owns 2 cats and a dog.", "She owns cats and a dog."),
    ("The shop closes at 6 on Fridays.", "The shop closes early on Fridays."),
    ("It rained for 3 days in a row.", "It rained for days in a row."),
    ("The film lasts 140 minutes.", "The film is rather long."),
    ("They planted 50 trees in the park.", "They planted many trees in the park."),
    ("My phone battery is at 15 percent.", "My phone battery is nearly empty."),
    ("The team won 4 matches in a row.", "The team kept winning matches."),
    ("I drink 2 cups of coffee every morning.", "I drink coffee every morning."),
    ("The museum has 12 rooms of paintings.", "The museum has room after room of paintings."),
    ("Our garden is 20 metres long.", "Our garden is fairly long."),
    ("He paid 900 euros for the bike.", "He paid a lot for the bike."),
    ("The baby is 6 months old.", "The baby is still tiny."),
    ("There are 7 eggs left in the fridge.", "There are a few eggs left in the fridge."),
    ("The hike took 5 hours.", "The hike took most of the day."),
    ("She speaks 3 languages fluently.", "She speaks several languages fluently."),
    ("The road was closed for 2 weeks.", "The road was closed for a while."),
    ("We invited 40 guests to the wedding.", "We invited lots of guests to the wedding."),
    ("The river is 80 kilometres long.", "The river is long and winding."),
    ("The printer jammed 3 times today.", "The printer jammed again today."),
    ("My grandmother is 91.", "My grandmother is quite elderly."),
    ("The cake needs 35 minutes in the oven.", "The cake needs a while in the oven."),
    ("The office is 10 minutes from here.", "The office is not far from here."),
    ("They sold 500 copies in a week.", "They sold plenty of copies in a week."),
    ("The lecture ran 20 minutes over.", "The lecture ran well over time."),
    ("I walked 8000 steps yesterday.", "I walked a lot yesterday."),
    ("The hotel room was 70 euros a night.", "The hotel room was cheap for the city."),
    ("Our dog sleeps 14 hours a day.", "Our dog sleeps most of the day."),
    ("The soup needs 2 onions.", "The soup needs a couple of onions."),
    ("The ferry carries 300 cars.", "The ferry carries lots of cars."),
    ("She practised piano for 3 hours.", "She practised piano all afternoon."),
    ("The parcel arrived 4 days late.", "The parcel arrived very late."),
    ("The mountain is 2400 metres high.", "The mountain is really high."),
    ("We ordered 6 pizzas for the party.", "We ordered pizzas for the party."),
    ("The library opens at 10 on Sundays.", "The library opens late on Sundays."),
    ("He has visited 17 countries.", "He has visited many countries."),
    ("The exam lasted 90 minutes.", "The exam lasted too long."),
    ("The village has 800 residents.", "The village has few residents."),
    ("Our car is 15 years old.", "Our car is getting old."),
    ("The bakery sold 120 loaves this morning.", "The bakery sold out of bread this morning."),
    ("I need 3 more chairs for dinner.", "I need more chairs for dinner."),
    ("The queue had 60 people in it.", "The queue was enormous."),
    ("The storm knocked down 9 trees.", "The storm knocked down trees."),
    ("Her new job pays 40000 a year.", "Her new job pays well."),
    ("The swimming pool is 25 metres long.", "The swimming pool is quite small."),
    ("He answered 18 emails before lunch.", "He answered his emails before lunch."),
    ("The castle was built 700 years ago.", "The castle was built long ago."),
    ("The bus comes every 15 minutes.", "The bus comes fairly often."),
    ("My sister has 2 children.", "My sister has children."),
    ("The shirt was 30 percent off.", "The shirt was on sale."),
    ("We stayed 5 nights at the cabin.", "We stayed a while at the cabin."),
    ("The orchestra has 70 musicians.", "The orchestra has a lot of musicians."),
    ("The heating broke 3 times this winter.", "The heating kept breaking this winter."),
    ("The lake froze for 6 weeks.", "The lake froze for weeks."),
    ("He lifted 100 kilos at the gym.", "He lifted heavy weights at the gym."),
    ("The book has 450 pages.", "The book is very thick."),
    ("They repaint the fence every 4 years.", "They repaint the fence now and then."),
    ("The stadium holds 60000 fans.", "The stadium holds a vast crowd."),
    ("My commute is 50 minutes each way.", "My commute is long each way."),
    ("The puppy ate 3 socks last week.", "The puppy ate some socks last week."),
    ("The tower has 300 steps to the top.", "The tower has endless steps to the top."),
    ("The course costs 200 pounds.", "The course costs a fair amount."),
    ("I watered the plants 2 days ago.", "I watered the plants recently."),
    ("The clock stopped at 4 in the morning.", "The clock stopped in the early morning."),
]


@pytest.fixture(scope="session")
def number_pair():
    return [a for a, _ in NUMBER_PAIRS], [b for _, b in NUMBER_PAIRS]


@pytest.fixture(scope="session")
def encoder_path(pretrained_models) -> Path:
    return pretrained_models / "all-minilm-l6-v2"


@pytest.fixture(scope="session")
def lm_path(pretrained_models) -> Path:
    return pretrained_models / "smollm2-135m-instruct"


@pytest.fixture(scope="session")
def embedding_verifier(encoder_path):
    from ml.describe.verifiers import EmbeddingVerifier

    return EmbeddingVerifier(encoder_path, device="cpu")
