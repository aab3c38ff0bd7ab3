#!/usr/bin/env python3
"""A small rebuild of the recipe's dataset generator (from recipe.md), used as a baseline only.

numpy uniform-noise images, PIL default PNG, written to disk; the JSONL holds their absolute
paths (path mode); rows interleaved by turn; 8000 words per row from the vocabulary. Like the
recipe it builds the array as (2400, 1080, 3), i.e. 1080 wide x 2400 tall, and runs on one core.
"""
import argparse
import json
import os
import random

import numpy as np
from PIL import Image


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--users", type=int, default=30)
    p.add_argument("--turns", type=int, default=8)
    p.add_argument("--window", type=int, default=5)
    p.add_argument("--words", type=int, default=8000)
    p.add_argument("--vocabulary", required=True)
    p.add_argument("--image-dir", required=True)
    p.add_argument("-o", "--output", required=True)
    a = p.parse_args()
    vocab = open(a.vocabulary).read().split()
    os.makedirs(a.image_dir, exist_ok=True)
    per_user = a.window + a.turns - 1
    paths = []
    for i in range(a.users * per_user):
        arr = np.random.randint(0, 256, (2400, 1080, 3), dtype=np.uint8)
        path = os.path.abspath(os.path.join(a.image_dir, f"img_{i}.png"))
        Image.fromarray(arr).save(path)
        paths.append(path)
    with open(a.output, "w") as f:
        for t in range(a.turns):
            for u in range(a.users):
                base = u * per_user + t
                text = " ".join(random.choice(vocab) for _ in range(a.words))
                row = {"session_id": f"user_{u}", "text": text, "images": paths[base : base + a.window]}
                f.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
