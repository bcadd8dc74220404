"""Bounds on a dump's JSON, checked on its bytes before any parser sees them.

A dump comes from outside: a few hundred gzipped bytes can hold an item nested 100,000 levels deep,
gigabytes of whitespace or one enormous string, and JSON parsers spend memory (and, on strings split
across reads, time) without bound on those. `Scanner.scan` reads each block of the uncompressed JSON
once, with numpy over the block's structural bytes (quotes, backslashes, brackets), and raises
`LimitExceeded` naming the limit and the byte offset as soon as a limit is passed:

- nesting depth (objects and arrays inside each other);
- one item's size: each object of the top-level `items` array of a List, and everything else of the
  document (a single object, or a List's top level around its items), which the parser builds whole;
- one string's length (its JSON text between the quotes);
- one run of whitespace between tokens;
- the whole dump's size.

The scan never recurses and keeps a fixed amount of state, so memory is bounded and time is linear
in the bytes read. It also tells where each List item ends, which the parser needs to find the top
level after the items without parsing them twice.
"""
from __future__ import annotations

import re

import numpy as np

from cloud_inventory.settings import DUMP_LIMIT_SETTINGS, DumpLimits

QUOTE, BACKSLASH = ord('"'), ord("\\")
OPEN_OBJECT, OPEN_ARRAY, CLOSE_OBJECT = ord("{"), ord("["), ord("}")
WHITESPACE = b" \t\r\n"
_SPACE = np.zeros(256, dtype=bool)
_SPACE[list(WHITESPACE)] = True
# The key before a depth-2 "[" that makes it the List's items: "items", opened by a real quote.
_ITEMS_KEY = re.compile(rb'(?:\A|[{,\s])"items"[ \t\r\n]*:[ \t\r\n]*\Z')
_LOOK_BACK = 256  # bytes before a depth-2 "[" searched for its key (more whitespace there: not the items)


class LimitExceeded(Exception):
    """The dump passed one of its limits; `reason` names the limit, its setting and the byte offset."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _longest_space_run(view: np.ndarray) -> tuple[int, int]:
    """(length, start) of the longest whitespace run in `view`."""
    spaces = _SPACE[view].view(np.int8)
    if not spaces.any():
        return 0, 0
    edges = np.diff(np.concatenate(([0], spaces, [0])))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    longest = int(np.argmax(ends - starts))
    return int(ends[longest] - starts[longest]), int(starts[longest])


def _leading_space(data: bytes) -> int:
    return len(data) - len(data.lstrip(WHITESPACE))


def _trailing_space(data: bytes) -> int:
    return len(data) - len(data.rstrip(WHITESPACE))


class Scanner:
    """The structure of one dump's JSON so far, fed block by block (`scan`)."""

    def __init__(self, limits: DumpLimits):
        self.limits = limits
        self.offset = 0  # bytes scanned before the current block
        self.depth = 0
        self.in_string = False
        self.string_start = 0  # offset of the open string's opening quote
        self.backslashes = 0  # the run of backslashes that ended the previous block
        self.in_items = False  # the open depth-2 container is the List's items array
        self.item_start: int | None = None  # offset of the open item's first byte
        self.outside_items = 0  # bytes of the document outside any items array
        self.space_run = 0  # whitespace (outside strings) that ended the previous block
        self._before = b""  # the previous block's last bytes, for a key cut by the block boundary

    def _exceeded(self, what: str, limit: str, at: int) -> LimitExceeded:
        setting = DUMP_LIMIT_SETTINGS[limit]
        return LimitExceeded(f"over the limit of {getattr(self.limits, limit):,} {what} ({setting}) "
                             f"at byte {at:,} of the uncompressed JSON; the dump is refused whole")

    def scan(self, block: bytes) -> int:
        """Check the next block; returns the index in it of the last List item's closing bracket, or -1."""
        limits, n = self.limits, len(block)
        if self.offset + n > limits.max_dump_bytes:
            raise self._exceeded("bytes of JSON in one dump", "max_dump_bytes", limits.max_dump_bytes)
        data = np.frombuffer(block, dtype=np.uint8)
        folded = data | 0x20  # "[" and "]" fold onto "{" and "}"
        token = data == QUOTE
        token |= data == BACKSLASH
        token |= folded == OPEN_OBJECT
        token |= folded == CLOSE_OBJECT
        at = np.flatnonzero(token)
        chars = data[at]
        if self.backslashes or b"\\" in block:
            at, chars = self._unescaped(at, chars, n)
        quotes = chars == QUOTE
        started_in_string = self.in_string
        inside = np.bitwise_xor.accumulate(quotes.view(np.uint8))  # after each token: in a string (if none open before)
        self._check_strings(at[quotes], n)
        self._check_spaces(block, data, at, quotes, started_in_string)
        structural = ~quotes & (inside == started_in_string)  # (a bracket's own "after" is its "before")
        last_end = self._check_structure(block, at[structural], chars[structural], n)
        self._before = block[-_LOOK_BACK:] if n >= _LOOK_BACK else (self._before + block)[-_LOOK_BACK:]
        self.offset += n
        return last_end

    def _unescaped(self, at: np.ndarray, chars: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
        """The tokens without backslashes and the characters they escape (an odd run of backslashes escapes)."""
        backslash = chars == BACKSLASH
        slashes = at[backslash]
        carried, self.backslashes = self.backslashes, 0
        escaped = np.empty(0, dtype=at.dtype)  # positions of escaped characters
        if len(slashes):
            starts = np.flatnonzero(np.concatenate(([True], slashes[1:] != slashes[:-1] + 1)))
            ends = np.append(starts[1:], len(slashes)) - 1
            lengths = ends - starts + 1
            if carried and slashes[0] == 0:  # the previous block's run goes on
                lengths[0] += carried
                carried = 0
            escaped = slashes[ends[lengths % 2 == 1]] + 1
            if slashes[-1] == n - 1:  # the run goes on into the next block (or escapes its first byte)
                self.backslashes, escaped = int(lengths[-1]), escaped[escaped < n]
        if carried % 2:  # the previous block ended with an odd run: its first byte is escaped
            escaped = np.concatenate(([0], escaped))
        keep = ~backslash
        if len(escaped):
            index = np.searchsorted(at, escaped)
            inside = index < len(at)
            index = index[inside]
            keep[index[at[index] == escaped[inside]]] = False  # (an escaped byte that is no token: nothing to drop)
        return at[keep], chars[keep]

    def _check_strings(self, quotes: np.ndarray, n: int) -> None:
        """Each string's length, from its quotes (which alternate opening and closing)."""
        limit = self.limits.max_string_bytes
        carried = int(self.in_string)
        opens, closes = quotes[carried::2] + self.offset, quotes[1 - carried::2] + self.offset
        lengths = []  # (length, opening quote)
        if carried and len(closes):
            lengths.append((int(closes[0]) - self.string_start - 1, self.string_start))
            closes = closes[1:]
        if len(closes):
            sizes = closes - opens[:len(closes)] - 1
            worst = int(np.argmax(sizes))
            lengths.append((int(sizes[worst]), int(opens[worst])))
        if (carried + len(quotes)) % 2:  # a string is open at the end of the block
            if len(quotes):
                self.string_start = int(opens[-1])
            self.in_string = True
            lengths.append((self.offset + n - self.string_start - 1, self.string_start))
        else:
            self.in_string = False
        for size, start in lengths:
            if size > limit:
                raise self._exceeded("bytes in one string", "max_string_bytes", start + 1 + limit)

    def _check_spaces(self, block: bytes, data: np.ndarray, at: np.ndarray, quotes: np.ndarray,
                      started_in_string: bool) -> None:
        """Runs of whitespace outside strings: only gaps between tokens longer than the limit are read byte by byte."""
        limit, n = self.limits.max_whitespace_bytes, len(block)
        first = int(at[0]) if len(at) else n
        if not started_in_string:  # the bytes before the first token continue the previous block's run
            lead = _leading_space(block[:first])
            if self.space_run + lead > limit:
                raise self._exceeded("bytes of whitespace in a row", "max_whitespace_bytes",
                                      self.offset - self.space_run + limit)
            if lead == n:
                self.space_run += n
                return
            self._check_gap(data, 0, first)
        if len(at):
            for k in np.flatnonzero(np.diff(at) > limit + 1):  # (rare: the gap's side of a string is counted here)
                if not (np.count_nonzero(quotes[:k + 1]) + started_in_string) % 2:
                    self._check_gap(data, int(at[k]) + 1, int(at[k + 1]))
            last = int(at[-1]) + 1
            if not self.in_string:
                self._check_gap(data, last, n)
        else:
            last = 0  # no token: the block is all string or all gap
        self.space_run = 0 if self.in_string else _trailing_space(block[last:])

    def _check_gap(self, data: np.ndarray, start: int, end: int) -> None:
        if end - start > self.limits.max_whitespace_bytes:
            run, where = _longest_space_run(data[start:end])
            if run > self.limits.max_whitespace_bytes:
                raise self._exceeded("bytes of whitespace in a row", "max_whitespace_bytes",
                                      self.offset + start + where + self.limits.max_whitespace_bytes)

    def _check_structure(self, block: bytes, at: np.ndarray, chars: np.ndarray, n: int) -> int:
        """Depth, items and the bytes outside them; returns the last item end in the block (-1: none)."""
        limits = self.limits
        items_from = 0 if self.in_items else None  # where in the block an items array is open from
        inside_items = 0
        last_end = -1
        if len(at):
            closing = (chars | 0x20) == CLOSE_OBJECT
            step = 1 - 2 * closing.view(np.int8)
            depth = self.depth + np.cumsum(step, dtype=np.int32)
            if depth.max() > limits.max_depth:
                k = int(np.argmax(depth > limits.max_depth))
                raise self._exceeded("levels of nesting", "max_depth", self.offset + int(at[k]))
            if depth.min() < 0:
                k = int(np.argmax(depth < 0))
                raise LimitExceeded(f"invalid JSON: a closing bracket without an opening one at byte "
                                    f"{self.offset + int(at[k]):,}")
            self.depth = int(depth[-1])
            # The depth-2 containers opening and closing (a handful per dump) decide which items count.
            level = depth + closing  # the depth of the container each bracket opens or closes
            level2 = np.flatnonzero(level == 2)
            flags = np.zeros(len(level2), dtype=bool)
            carried_flag = self.in_items
            for index, k in enumerate(level2):
                position = int(at[k])
                if step[k] == 1:
                    is_items = chars[k] == OPEN_ARRAY and self._after_items_key(block, position)
                    if is_items:
                        items_from = position
                else:
                    is_items = False
                    if self.in_items:
                        inside_items += position + 1 - items_from
                        items_from = None
                self.in_items = flags[index] = is_items
            level3 = np.flatnonzero(level == 3)
            if len(level3):
                container = np.searchsorted(level2, level3) - 1
                in_items = np.append(flags, carried_flag)[container]  # -1: the container open at the block's start
                events = level3[in_items]
                last_end = self._check_items(at[events] + self.offset, ~closing[events])
        if items_from is not None:
            inside_items += n - items_from
        self.outside_items += n - inside_items
        if self.outside_items > limits.max_item_bytes:  # (at the end of the block that passed it)
            raise self._exceeded("bytes outside the List's items (a single object, or the List's own fields)",
                                 "max_item_bytes", self.offset + n)
        if self.item_start is not None and self.offset + n - self.item_start > limits.max_item_bytes:
            raise self._exceeded("bytes in one item", "max_item_bytes", self.item_start + limits.max_item_bytes)
        return last_end

    def _after_items_key(self, block: bytes, position: int) -> bool:
        before = block[max(0, position - _LOOK_BACK):position]
        if position < _LOOK_BACK:
            before = self._before + before
        return _ITEMS_KEY.search(before) is not None

    def _check_items(self, positions: np.ndarray, opening: np.ndarray) -> int:
        """Items' sizes from their opening and closing brackets (absolute offsets), which alternate."""
        opens, closes = positions[opening], positions[~opening]
        sizes, starts = [], []
        if self.item_start is not None and len(closes):
            sizes.append(int(closes[0]) - self.item_start + 1)
            starts.append(self.item_start)
            paired = closes[1:]
        else:
            paired = closes
        if len(paired):
            sizes.extend((paired - opens[:len(paired)] + 1).tolist())
            starts.extend(opens[:len(paired)].tolist())
        self.item_start = int(opens[-1]) if len(opens) > len(paired) else (
            self.item_start if not len(closes) else None)
        for size, start in zip(sizes, starts):
            if size > self.limits.max_item_bytes:
                raise self._exceeded("bytes in one item", "max_item_bytes", start + self.limits.max_item_bytes)
        return int(closes[-1]) - self.offset if len(closes) else -1
