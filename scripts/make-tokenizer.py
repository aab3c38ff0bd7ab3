#!/usr/bin/env python3
"""Write fixtures/tokenizer/: a word-level HuggingFace tokenizer over data/vocabulary.txt.

AIPerf counts output tokens with a client-side tokenizer. Given this one (`--tokenizer
fixtures/tokenizer`), it never contacts a hub and its counts equal the number of
whitespace-separated words the mock streams: each vocabulary word is one token, anything else
(punctuation glued to a word, unknown words) is one [UNK] per whitespace-separated piece.

Run inside the AIPerf venv (it has `tokenizers` and `transformers`), then let Biome format the JSON:
  .venv/aiperf/bin/python scripts/make-tokenizer.py && npx biome format --write fixtures/tokenizer
"""

import sys
from pathlib import Path

from tokenizers import Tokenizer
from tokenizers.models import WordLevel
from tokenizers.pre_tokenizers import WhitespaceSplit
from transformers import PreTrainedTokenizerFast

ROOT = Path(__file__).resolve().parent.parent
VOCAB_FILE = ROOT / "data" / "vocabulary.txt"
OUT = ROOT / "fixtures" / "tokenizer"
UNK = "[UNK]"


def main() -> int:
    words = [w.strip() for w in VOCAB_FILE.read_text(encoding="utf-8").splitlines() if w.strip()]
    if len(set(words)) != len(words):
        print(f"{VOCAB_FILE}: duplicate words", file=sys.stderr)
        return 1
    vocab = {UNK: 0}
    for w in words:
        vocab[w] = len(vocab)
    tok = Tokenizer(WordLevel(vocab=vocab, unk_token=UNK))
    # Split on whitespace only (not on punctuation), so one streamed word = one token.
    tok.pre_tokenizer = WhitespaceSplit()
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        unk_token=UNK,
        model_max_length=1_000_000,
        clean_up_tokenization_spaces=False,
    )
    OUT.mkdir(parents=True, exist_ok=True)
    fast.save_pretrained(str(OUT))
    print(f"wrote {OUT} ({len(vocab)} tokens: {len(words)} words + {UNK})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
