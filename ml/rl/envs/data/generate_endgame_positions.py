"""Draw the Endgames start positions: random KQ-vs-K and KR-vs-K positions (white to move) that
Stockfish, at the fixed search in ml/rl/envs/endgames.py, rates as a long enough mate for white.

    python -m ml.rl.envs.data.generate_endgame_positions --per-piece 100 --seed 0

Writes endgame_positions.txt beside this file: a header of # lines (engine, search, thresholds,
pass rates, time taken), then one "FEN<TAB>piece<TAB>mate" line per position.
"""

from __future__ import annotations

import argparse
import random
import time
from pathlib import Path

from ml.rl.envs.chess_env import Engine, find_stockfish
from ml.rl.envs.endgames import (
    ANALYSIS_DEPTH,
    ANALYSIS_OPTIONS,
    MIN_MATE,
    PIECES,
    POSITIONS_FILE,
    engine_mate,
    random_endgame,
)


def generate(per_piece: int, seed: int, out: Path, engine_path: str | None = None) -> None:
    rng = random.Random(seed)
    engine = Engine(find_stockfish(engine_path), ANALYSIS_OPTIONS)
    started = time.perf_counter()
    lines, stats = [], []
    try:
        for piece in PIECES:
            kept, tried, seen = 0, 0, set()
            while kept < per_piece:
                board = random_endgame(rng, piece)
                if board.fen() in seen:
                    continue
                seen.add(board.fen())
                tried += 1
                mate = engine_mate(engine.get(), board)
                if mate is not None and mate >= MIN_MATE[piece]:
                    lines.append(f"{board.fen()}\t{piece}\t{mate}")
                    kept += 1
            stats.append(f"# {piece}: mate >= {MIN_MATE[piece]}: kept {kept} of {tried} ({kept / tried:.0%})")
            print(stats[-1], flush=True)
        name = engine.name
    finally:
        engine.close()
    seconds = time.perf_counter() - started
    header = [
        "# Endgames start positions: FEN, piece, the engine's mate distance (moves) for white.",
        f"# engine: {name}; search: depth {ANALYSIS_DEPTH}, {ANALYSIS_OPTIONS}",
        f"# made by: python -m ml.rl.envs.data.generate_endgame_positions --per-piece {per_piece} --seed {seed}",
        *stats,
        f"# took {seconds:.0f} s",
    ]
    out.write_text("\n".join(header + lines) + "\n")
    print(f"wrote {len(lines)} positions to {out} in {seconds:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--per-piece", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=POSITIONS_FILE)
    parser.add_argument("--engine-path")
    args = parser.parse_args()
    generate(args.per_piece, args.seed, args.out, args.engine_path)


if __name__ == "__main__":
    main()
