"""Shared word tables for reading customers' text: chat spellings and contractions written
without an apostrophe. The detector and the offline agent each add their own on top."""

from __future__ import annotations

from typing import Final

# Whole-word rewrites every reader of customer text wants.
COMMON_REWRITES: Final[dict[str, str]] = {
    "u": "you",
    "ya": "you",
    "ur": "your",
    "r": "are",
    "n": "and",
    "wat": "what",
    "pls": "please",
    "plz": "please",
    "plse": "please",
    "wanna": "want to",
    "gonna": "going to",
    "gotta": "got to",
    "lemme": "let me",
    "gimme": "give me",
    "cannot": "can not",
    "cant": "can not",
    "dont": "do not",
    "doesnt": "does not",
    "didnt": "did not",
    "wont": "will not",
    "wouldnt": "would not",
    "couldnt": "could not",
    "isnt": "is not",
    "arent": "are not",
    "wasnt": "was not",
    "werent": "were not",
    "havent": "have not",
    "hasnt": "has not",
    "aint": "is not",
    "im": "i am",
    "ive": "i have",
    "youre": "you are",
    "whats": "what is",
    "wheres": "where is",
    "theres": "there is",
    "thats": "that is",
}
