"""The paced model's answers, the same in the model and in the clients that check them.

A client asks with `prompt(key, tokens)`; the model finds the last `soak-key:KEY tokens:N` in the
last user message and answers `tokens(key, n)`, N tokens chosen by a generator seeded with KEY.
So a client knows, from its own input alone, exactly the text every follower must receive.
"""
import hashlib
import random
import re

# Words of 1 to 4 bytes per character, a newline now and then: an answer is not only ASCII.
WORDS = [
    "stream", "agent", "token", "resume", "chunk", "follower", "room", "model", "socket", "frame",
    "naïve", "café", "façade", "über", "日本語", "✓", "🙂", "Ωmega", "ünïcödé", "42", "—", ",", ".",
]

PROMPT = re.compile(r"soak-key:([0-9a-f]+) tokens:(\d+)")

# A model never answers with an unbounded number of tokens; nor does this one.
MAX_TOKENS = 400


def prompt(key, count):
    """The input that makes the model answer `tokens(key, count)`."""
    return f"Please answer in {count} tokens. soak-key:{key} tokens:{count}"


def new_key(rng):
    return "%016x" % rng.getrandbits(64)


def tokens(key, count):
    """The `count` pieces of text the model yields for `key`, in order."""
    rng = random.Random(hashlib.sha256(key.encode()).digest())
    pieces = []
    for index in range(min(count, MAX_TOKENS)):
        word = rng.choice(WORDS)
        separator = "\n" if rng.random() < 0.05 else " "
        pieces.append(word if index == 0 else separator + word)
    return pieces


def answer(key, count):
    """The whole text of the answer to `prompt(key, count)`."""
    return "".join(tokens(key, count))


def tokens_for(user_text):
    """The model's side: the tokens that answer a user message (a short default without a key)."""
    found = PROMPT.findall(user_text or "")
    if not found:
        digest = hashlib.sha256((user_text or "").encode()).hexdigest()[:16]
        return tokens(digest, 8)
    key, count = found[-1]
    return tokens(key, int(count))
