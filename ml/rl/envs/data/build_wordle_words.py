"""Build `wordle_words.txt`, the Wordle vocabulary: the most frequent common five-letter English words.

Run once at build time (the environment reads the shipped file, never wordfreq):

    pip install wordfreq==3.1.1          # in the venv only; not a project requirement
    apt-get install -y wamerican         # /usr/share/dict/american-english (Debian 2020.12.07-2)
    python ml/rl/envs/data/build_wordle_words.py

Shipped file: wordfreq 3.1.1 (`top_n_list("en", 100000)`), wamerican 2020.12.07-2, N = 1500.

wordfreq lower-cases everything and has no part-of-speech data, so on its own it cannot tell "david"
from "dance". The system word list spells proper nouns and abbreviations with capitals, so keeping only
words it lists in lower case drops names, places and acronyms. A short hand list then drops the
profanity, slurs, spoken contractions ("gonna") and the few names that are also rare common words.
"""

from __future__ import annotations

import argparse
from pathlib import Path

HERE = Path(__file__).resolve().parent
DICTIONARY = Path("/usr/share/dict/american-english")
WORDS_FILE = HERE / "wordle_words.txt"
N_WORDS = 1500

# Words the frequency list ranks high that should not be Wordle answers.
EXCLUDED = set(
    """
    bitch pussy penis boobs fucks whore sperm raped horny asses shits dicks nigga prick booty lynch
    moron queer sucks slave nazis
    gonna wanna gotta kinda whats dunno gimme youre thats didnt outta calif
    peter harry jimmy billy bobby terry roger maria sally randy sonny hogan bates hicks johns smith
    china japan wales welsh chile frank
    """.split()
)


def build(n: int = N_WORDS) -> list[str]:
    from wordfreq import top_n_list

    if not DICTIONARY.exists():
        raise SystemExit(f"{DICTIONARY} is missing: apt-get install -y wamerican")
    lower_case_words = {w.strip() for w in DICTIONARY.read_text().splitlines()}
    words = []
    for word in top_n_list("en", 100_000):
        if len(word) == 5 and word.isascii() and word.isalpha() and word.islower():
            if word in lower_case_words and word not in EXCLUDED:
                words.append(word)
                if len(words) == n:
                    break
    return words


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=N_WORDS)
    parser.add_argument("--out", type=Path, default=WORDS_FILE)
    args = parser.parse_args()
    words = build(args.n)
    args.out.write_text("\n".join(words) + "\n")
    print(f"wrote {len(words)} words to {args.out}")


if __name__ == "__main__":
    main()
