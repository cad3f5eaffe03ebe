"""Reading what a deal says: its salient words, and the sentences that may be questions.

A CRM hands over notes or the last email of a thread: greetings, sign-offs, signatures,
legal disclaimers, quoted replies under "On … wrote:" or "From: … Sent: …" headers, and
somewhere in there what the customer cares about. The email's structure is taken apart by
mail-parser-reply (replies, their headers, signatures and disclaimers), and each word is
weighed by how rare it is in general English (wordfreq's Zipf scale): "overtime" and
"offline" say what a deal is about, "thanks", "call" and "week" say nothing. Words of the
newest reply count fully, quoted older replies half.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from mailparser_reply.parser import EmailMessage, EmailReply
from wordfreq import zipf_frequency

from api.assets.kinds import KINDS, Kind
from search.highlight import stem
from search.text import WORD as _WORD
from search.text import fold, words

# Only the start of a very long thread is read: the newest messages come first.
READ_CHARS = 20_000
MAX_KEYWORDS = 12
MAX_SENTENCES = 80
MAX_SENTENCE_CHARS = 400
# Longer "words" are codes, hashes or garbage, never a topic.
MAX_WORD_CHARS = 40
QUOTED_WEIGHT = 0.5

# Words at least this common in English (Zipf 5.5: "week", "thanks", "time", "work") carry
# no topic; rarer ones weigh more the rarer they are, up to a cap, so that a name or a
# typo does not outweigh the topic words of the deal.
COMMON_ZIPF = 5.5
RARITY_ORIGIN = 6.0
MAX_RARITY = 3.0
# Words a suggestion's reasons may name ("mentions: overtime"): Zipf 5 or rarer.
MIN_MENTION_RARITY = 1.0

# The small talk of sales emails and call notes, however rare in general English.
EMAIL_TALK = frozenset(
    """
    hi hello hey dear greetings thanks thank thx regards best cheers sincerely kind warm
    warmest please pls attached attachment attachments enclosed follow following followup
    meeting meetings call calls called calling chat chatted email emails emailed mail reply
    replied replies sent wrote forwarded forward message messages original subject cc bcc
    fw fwd re today tomorrow yesterday tonight week weeks weekend monday tuesday wednesday
    thursday friday saturday sunday january february march april june july august
    september october november december jan feb mar apr jun jul aug sep sept oct nov dec
    morning afternoon evening asap fyi touch base hope soon talk talked speak speaking
    spoke discussed discuss discussing mentioned mention mentioning note notes update
    updates sounds looking forward wanted wants needs folks everyone hear heard glad
    quick quickly regarding per okay ok yes sure appreciate appreciated afterwards
    """.split()
)

# "Hi Dana," or "Good morning team!" opening a message, with the names it greets.
_GREETING = re.compile(
    r"\A\s*(?:hi|hello|hey|dear|hiya|greetings|good\s+(?:morning|afternoon|evening))\b"
    r"(?:[^\n,.!?:]{0,40}[,!:]|[^\n,.!?:-]{0,20}(?:\n|\Z))",
    re.IGNORECASE,
)
# "Cheers,\nSam" closing a message the parser did not split off (a quoted reply's).
_SIGN_OFF = re.compile(
    r"^[ \t]*(?:(?:best|kind|warm|many)[ \t]+)?(?:regards|wishes|cheers|thanks|thank you|"
    r"sincerely|best|talk soon|all the best)[ \t]*[,.!]*[ \t]*$",
    re.IGNORECASE | re.MULTILINE,
)
SIGN_OFF_LINES = 6
SIGNATURE_WORDS = 5
_DELIMITER = re.compile(r"[-_]{2,}")
_QUOTE_MARKS = re.compile(r"^[ \t]*(?:>[ \t]?)+", re.MULTILINE)
# Links, email addresses and phone numbers. Each alternative starts only where its run of
# characters starts and never backtracks (possessive), so a long run is read once.
_NOISE = re.compile(
    r"https?://\S++|www\.\S++|(?<![\w.+-])[\w.+-]++@[\w-]++(?:\.[\w-]++)++"
    r"|(?<![\d+])\+?\d(?:[ ()./-]{0,2}+\d){6,}+",
    re.IGNORECASE,
)
# A line this long is never a header or a signature but prose (or an attack on the email
# parser's regular expressions, which take quadratic time and worse on long lines): it is
# set aside while the parser reads the thread's structure, and put back after.
_LONG_LINE = re.compile(
    r"^([ \t>]*+)(?!(?:From|Sent|To|Cc|Date|Subject):)([^\n]{200,}+)$",
    re.MULTILINE | re.IGNORECASE,
)
_SHELF = re.compile("\ue000(\\d+)\ue001")
_SUBJECT = re.compile(r"^[ \t>*]*Subject:[ \t*]*(.+)$", re.IGNORECASE | re.MULTILINE)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
# "Send them a customer story": the kinds of collateral a rep asks for, by their cues
# (keys folded: the pattern ignores case, so "SLİDES" or "caſe study" match it too).
_CUES = {fold(cue): rules.kind for rules in KINDS.values() for cue in rules.cues}
_CUE = re.compile(
    r"(?<![^\W_])(?:" + "|".join(re.escape(c) for c in sorted(_CUES, key=len, reverse=True)) + r")"
    r"(?![^\W_])",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Keyword:
    """A salient word of the deal: as written (folded), its stem, and its weight."""

    word: str
    stem: str
    weight: float


@dataclass(frozen=True)
class Sentence:
    text: str
    is_question: bool


@dataclass(frozen=True)
class DealReading:
    keywords: tuple[Keyword, ...]  # most salient first
    sentences: tuple[Sentence, ...]  # the newest message's first
    kinds: tuple[Kind, ...] = ()  # the kinds of collateral the newest message asks for


def rarity(word: str) -> float:
    """How much a (folded) word says about a topic: 0 for common English, up to 3."""
    zipf = zipf_frequency(word, "en")
    if zipf >= COMMON_ZIPF:
        return 0.0
    return min(MAX_RARITY, RARITY_ORIGIN - zipf)


def _passages(text: str) -> list[tuple[str, float]]:
    """The deal text as (passage, weight): each reply's own words, without headers,
    signatures and disclaimers; the newest reply weighs 1, quoted older ones half."""
    shelf: list[str] = []

    def shelve(line: re.Match[str]) -> str:
        shelf.append(line.group(2))
        return f"{line.group(1)}\ue000{len(shelf) - 1}\ue001"

    def unshelve(body: str) -> str:
        return _SHELF.sub(lambda m: shelf[int(m.group(1))], body)

    text = _LONG_LINE.sub(shelve, text.replace("\ue000", " ").replace("\ue001", " "))
    mail = EmailMessage(text=text, languages=["en"], keep_hyphen_lists=True).read()
    passages: list[tuple[str, float]] = []
    for index, reply in enumerate(mail.replies):
        weight = 1.0 if index == 0 else QUOTED_WEIGHT
        passages.extend((subject, weight) for subject in _SUBJECT.findall(reply.headers or ""))
        body = _GREETING.sub("", _QUOTE_MARKS.sub("", unshelve(_own_words(reply))), count=1)
        passages.append((_NOISE.sub(" ", _without_sign_off(body)), weight))
    return [(p, w) for p, w in passages if p.strip()]


def _own_words(reply: EmailReply) -> str:
    """A reply without its headers, signature and disclaimers.

    The parser takes any line that starts with "Thanks," or "Best," for the start of a
    signature, and everything after it ("Hi Sam,\nThanks, the pilot went well…"); the
    signature is taken to start at its first line that is a closing alone ("Best
    regards,") or a `--` line, and when it has none, at none (`_without_sign_off` then
    looks at what follows a closing before it drops anything)."""
    body = reply.full_body
    signature = reply.signatures or ""
    at = body.rfind(signature) if signature else -1
    if at >= 0:
        offset = 0
        for line in signature.splitlines(keepends=True):
            own = line.lstrip("> \t").rstrip()
            if _DELIMITER.fullmatch(own) or _SIGN_OFF.fullmatch(own):
                body = body[: at + offset]
                break
            offset += len(line)
    for disclaimer in reply.disclaimers or []:
        body = body.replace(disclaimer, "")
    return body.strip()


def _without_sign_off(body: str) -> str:
    """The body without a closing "Thanks,\nName" followed by a few short lines."""
    closings = list(_SIGN_OFF.finditer(body))
    if not closings:
        return body
    closing = closings[-1]
    after = [line for line in body[closing.end() :].splitlines() if line.strip()]
    if len(after) > SIGN_OFF_LINES or any(len(line.split()) > SIGNATURE_WORDS for line in after):
        return body
    return body[: closing.start()]


def _sentences(passages: Iterable[tuple[str, float]]) -> list[Sentence]:
    found: list[Sentence] = []
    for passage, _ in passages:
        for piece in _SENTENCE_END.split(passage):
            sentence = " ".join(piece.split())[:MAX_SENTENCE_CHARS]
            if len(_WORD.findall(sentence)) >= 2:
                found.append(Sentence(sentence, sentence.endswith("?")))
    return found[:MAX_SENTENCES]


def _keywords(
    passages: Iterable[tuple[str, float]], telling: Callable[[str], bool] | None
) -> list[Keyword]:
    counts: dict[str, float] = {}
    forms: dict[str, dict[str, float]] = {}
    for passage, weight in passages:
        for word in words(passage):
            if not 3 <= len(word) <= MAX_WORD_CHARS or word.isdigit() or word in EMAIL_TALK:
                continue
            word_stem = stem(word)
            counts[word_stem] = counts.get(word_stem, 0.0) + weight
            seen = forms.setdefault(word_stem, {})
            seen[word] = seen.get(word, 0.0) + weight
    keywords = []
    for word_stem, count in counts.items():
        # The form written most often stands for the stem ("technicians", "technician").
        word = max(forms[word_stem].items(), key=lambda item: (item[1], -len(item[0])))[0]
        weight = rarity(word)
        if weight <= 0 or (telling is not None and not telling(word_stem)):
            continue
        # Repeats raise a word's weight, but slowly: a long thread repeats everything.
        keywords.append(Keyword(word, word_stem, weight * (1.0 + math.log(max(count, 1.0)))))
    keywords.sort(key=lambda k: (-k.weight, k.word))
    return keywords[:MAX_KEYWORDS]


def _kinds(passages: Iterable[tuple[str, float]]) -> tuple[Kind, ...]:
    """The kinds the newest message (not a quoted one) asks for, in order of mention."""
    found = [
        _CUES.get(fold(m.group()))
        for passage, weight in passages
        if weight == 1.0
        for m in _CUE.finditer(passage)
    ]
    return tuple(dict.fromkeys(kind for kind in found if kind is not None))


def read_deal(
    text: str | None,
    questions: Sequence[str] = (),
    *,
    telling: Callable[[str], bool] | None = None,
) -> DealReading:
    """The salient words and the candidate question sentences of a deal's text and of the
    questions its customer asked (each of those is a question, whatever its punctuation),
    and the kinds of collateral the text asks for. `telling(stem)`, when given, says
    whether a word tells the catalogue's pieces apart; words that do not are left out."""
    asked = [(q, 1.0) for q in questions if q.strip()]
    passages = _passages(text[:READ_CHARS]) if text and text.strip() else []
    sentences = [Sentence(" ".join(q.split())[:MAX_SENTENCE_CHARS], True) for q, _ in asked]
    sentences += _sentences(passages)
    return DealReading(
        keywords=tuple(_keywords(asked + passages, telling)),
        sentences=tuple(sentences),
        kinds=_kinds(passages),
    )


def mentioned(keywords: Sequence[Keyword], texts: Iterable[str], *, scan_chars: int) -> list[str]:
    """The topical keywords (as the deal wrote them) found in any of the texts, most
    salient first. A word is found when a word of the text has its stem, as the search
    index matched it; everyday words ("across", "office") are never a reason."""
    wanted = {k.stem: k for k in keywords if rarity(k.word) >= MIN_MENTION_RARITY}
    if not wanted:
        return []
    # Find candidate words in C, then check each one's stem. A Porter stem is a prefix of
    # its word but for a final "i" ("happi" < "happy").
    starts = {s[:-1] if s.endswith("i") and len(s) > 3 else s for s in wanted}
    pattern = "|".join(sorted(map(re.escape, starts), key=len, reverse=True))
    locator = re.compile(rf"(?<![^\W_])(?:{pattern})[^\W_]*", re.IGNORECASE)
    found: set[str] = set()
    for text in texts:
        for match in locator.finditer(text, 0, scan_chars):
            word_stem = stem(fold(match.group()))
            if word_stem in wanted:
                found.add(word_stem)
        if len(found) == len(wanted):
            break
    return [k.word for k in keywords if k.stem in found]
