"""Commands that append: add, import, correct, retract, merge, init."""
