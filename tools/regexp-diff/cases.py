"""Random patterns and texts for tools/regexp-diff.sh: runs both drivers on
each and reports the cases where their output differs.

    cases.py BEFORE_DRIVER AFTER_DRIVER [COUNT] [SEED]
"""
import random
import subprocess
import sys

ATOMS = ["a", "b", "x", r"\d", r"\w", r"\s", ".", "[a-c]", "[^a]", r"[\p{L}\p{N}]", r"[\p{L}]", r"\p{Lu}", "é",
         "中", r"\u{1F600}", "[é-ü]", "[a-z0-9]", r"\b", "^", "$", r"\W", "[A-Z]"]
ZERO_WIDTH = {r"\b", "^", "$"}
QUANTIFIERS = ["", "", "", "+", "*", "?", "+?", "*?", "{2}", "{1,3}", "+", "+", "*"]
# a, b, x, A, B, 0, 1, space, comma, !, é, ü, 中, a surrogate pair, a lone
# low surrogate, _, newline
UNITS = [0x61, 0x62, 0x78, 0x41, 0x42, 0x30, 0x31, 0x20, 0x2C, 0x21, 0xE9, 0xFC, 0x4E2D, 0xD83D, 0xDE00, 0x5F, 0x0A]
# libregexp flag bits: global 1, ignore case 2, multiline 4, dotAll 8,
# unicode 16, sticky 32
FLAGS = [1, 3, 17, 19, 33, 49, 5, 9, 0, 16]


def atom(rng, depth):
    r = rng.random()
    if depth < 3 and r < 0.15:
        return "(" + pattern(rng, depth + 1) + ")"
    if depth < 3 and r < 0.22:
        return "(?:" + pattern(rng, depth + 1) + ")"
    if depth < 3 and r < 0.26:
        return "(?=" + pattern(rng, depth + 1) + ")"
    return rng.choice(ATOMS)


def piece(rng, depth):
    a = atom(rng, depth)
    return a if a in ZERO_WIDTH else a + rng.choice(QUANTIFIERS)


def sequence(rng, depth):
    return "".join(piece(rng, depth) for _ in range(rng.randint(1, 3)))


def pattern(rng, depth=0):
    s = sequence(rng, depth)
    if rng.random() < 0.2:
        s += "|" + sequence(rng, depth)
    return s


def text(rng):
    units = []
    for _ in range(rng.randint(0, 14)):
        u = rng.choice(UNITS)
        units += [0xD83D, 0xDE00] if u == 0xD83D and rng.random() < 0.8 else [u]
    return ",".join("%x" % u for u in units)


def main():
    before, after = sys.argv[1], sys.argv[2]
    count = int(sys.argv[3]) if len(sys.argv) > 3 else 3000
    rng = random.Random(int(sys.argv[4]) if len(sys.argv) > 4 else 1)
    differ = 0
    for _ in range(count):
        case = [pattern(rng), str(rng.choice(FLAGS)), text(rng)]
        a = subprocess.run([before, *case], capture_output=True, text=True, check=True).stdout
        b = subprocess.run([after, *case], capture_output=True, text=True, check=True).stdout
        if a != b:
            differ += 1
            if differ <= 5:
                print(f"differ: pattern {case[0]!r} flags {case[1]} text [{case[2]}]\n  before: {a!r}\n  after:  {b!r}")
    print(f"regexp-diff: {count} cases, {differ} differ")
    sys.exit(1 if differ else 0)


main()
