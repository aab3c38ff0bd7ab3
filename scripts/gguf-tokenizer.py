#!/usr/bin/env python3
"""Write a Hugging Face tokenizer directory (tokenizer.json + tokenizer_config.json) from a GGUF model.

AIPerf counts tokens with a client-side Hugging Face tokenizer and, by default, downloads it from a
hub that these machines cannot reach. A GGUF file carries its own vocabulary: this rebuilds the
tokenizer from it so that AIPerf and mmload count what the server counts.

Only byte-level BPE vocabularies (`tokenizer.ggml.model == "gpt2"`) with the pre-tokenizers listed in
PRE_TOKENIZERS are supported; anything else is refused by name rather than approximated.

Usage: gguf-tokenizer.py MODEL.gguf OUT_DIR   (needs the PyPI packages gguf and tokenizers)
"""

import json
import sys
from pathlib import Path

import gguf
from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers

# llama.cpp's pre-tokenizer names -> the Hugging Face pre-tokenizer that splits text the same way.
# "smollm" is llama.cpp's LLAMA_VOCAB_PRE_TYPE_SMOLLM: every digit alone, then GPT-2's regex.
PRE_TOKENIZERS = {
    "smollm": lambda: pre_tokenizers.Sequence(
        [
            pre_tokenizers.Digits(individual_digits=True),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True),
        ]
    ),
    "gpt-2": lambda: pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True),
}
CONTROL = 3  # llama.cpp's token type for special (control) tokens


def strings(reader: gguf.GGUFReader, key: str) -> list[str]:
    field = reader.fields[key]
    return [bytes(field.parts[i]).decode("utf-8") for i in field.data]


def scalar(reader: gguf.GGUFReader, key: str):
    field = reader.fields.get(key)
    if field is None:
        return None
    value = field.parts[field.data[0]]
    if field.types[0] == gguf.GGUFValueType.STRING:
        return bytes(value).decode("utf-8")
    return value.tolist()[0]


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    model_path, out = Path(sys.argv[1]), Path(sys.argv[2])
    reader = gguf.GGUFReader(str(model_path))
    kind = scalar(reader, "tokenizer.ggml.model")
    pre = scalar(reader, "tokenizer.ggml.pre")
    if kind != "gpt2" or pre not in PRE_TOKENIZERS:
        print(f"{model_path}: tokenizer {kind}/{pre} is not supported (only gpt2 with {sorted(PRE_TOKENIZERS)})", file=sys.stderr)
        return 1
    tokens = strings(reader, "tokenizer.ggml.tokens")
    types = reader.fields["tokenizer.ggml.token_type"]
    token_types = [int(types.parts[i][0]) for i in types.data]
    merges = [tuple(m.split(" ", 1)) for m in strings(reader, "tokenizer.ggml.merges")]
    vocab = {tok: i for i, tok in enumerate(tokens)}

    tokenizer = Tokenizer(models.BPE(vocab=vocab, merges=merges, fuse_unk=False, byte_fallback=False))
    tokenizer.pre_tokenizer = PRE_TOKENIZERS[pre]()
    tokenizer.decoder = decoders.ByteLevel()
    specials = [tokens[i] for i, t in enumerate(token_types) if t == CONTROL]
    tokenizer.add_special_tokens([AddedToken(s, special=True, normalized=False) for s in specials])

    def token(key: str):
        idx = scalar(reader, key)
        return tokens[idx] if idx is not None and 0 <= idx < len(tokens) else None

    config = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "model_max_length": 1_000_000,
        "clean_up_tokenization_spaces": False,
        "bos_token": token("tokenizer.ggml.bos_token_id"),
        "eos_token": token("tokenizer.ggml.eos_token_id"),
        "unk_token": token("tokenizer.ggml.unknown_token_id"),
        "pad_token": token("tokenizer.ggml.padding_token_id"),
    }
    out.mkdir(parents=True, exist_ok=True)
    tokenizer.save(str(out / "tokenizer.json"))
    (out / "tokenizer_config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out} ({len(tokens)} tokens, {len(merges)} merges, pre-tokenizer {pre})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
