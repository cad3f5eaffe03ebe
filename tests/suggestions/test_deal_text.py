"""Reading a deal's text: salient words, question sentences, kinds asked for."""

from __future__ import annotations

from api.suggestions.deal_text import Keyword, mentioned, read_deal

THREAD = """Hi Sam,

Thanks so much for the call yesterday, it was great to catch up.

Our technicians keep logging overtime on paper and payroll re-keys everything on
Friday. Does it work offline? Half of our sites have no signal.

Best regards,
Dana Whitfield
Operations Director | Acme Builders
+1 555 0100 | dana.whitfield@acme.example
This email and any attachments are confidential and intended solely for the addressee.

On Tue, Mar 3, 2026 at 10:12 AM, Sam Carter <sam@fieldline.example> wrote:
> Hi Dana,
> Great speaking with you. As promised, here is our pricing overview.
> Let me know if you have questions.
> Cheers,
> Sam
"""


def test_salient_words_of_an_email_thread() -> None:
    words = [k.word for k in read_deal(THREAD).keywords]
    assert {"overtime", "payroll", "offline", "technicians"} <= set(words)
    # Greetings, sign-offs, names in the signature, the disclaimer, addresses and
    # phone numbers, and the quoted header say nothing about the deal.
    for noise in (
        "thanks",
        "regards",
        "dana",
        "whitfield",
        "acme",
        "confidential",
        "addressee",
        "0100",
        "tue",
        "wrote",
        "cheers",
        "sam",
        "call",
        "yesterday",
    ):
        assert noise not in words, noise


def test_the_newest_reply_outweighs_the_quoted_one() -> None:
    weights = {k.word: k.weight for k in read_deal(THREAD).keywords}
    assert weights["overtime"] > weights.get("pricing", 0.0)


def test_question_sentences_come_from_the_customer_words() -> None:
    reading = read_deal(THREAD, ["What does it cost per technician"])
    questions = [s.text for s in reading.sentences if s.is_question]
    # Given questions count as questions whatever their punctuation.
    assert questions[0] == "What does it cost per technician"
    assert "Does it work offline?" in questions
    assert not any("Dana" in s.text or "confidential" in s.text for s in reading.sentences)


def test_hyphen_lists_in_notes_are_content_not_a_signature() -> None:
    notes = "Discovery call:\n- 40 techs on paper timesheets\n- union overtime rules\n- wants SSO"
    words = {k.word for k in read_deal(notes).keywords}
    assert {"timesheets", "overtime", "sso"} <= words


def test_the_kinds_a_rep_asks_for() -> None:
    reading = read_deal("Need a customer story and a one-pager on offline mode for the CFO.")
    assert [k.value for k in reading.kinds] == ["case_study", "one_pager"]
    assert read_deal("The reference architecture diagram").kinds == ()


def test_no_text_reads_as_nothing() -> None:
    assert read_deal(None).keywords == ()
    assert read_deal("   ").sentences == ()
    assert read_deal("Thanks! Talk soon.").keywords == ()


def test_mentions_are_found_by_stem_and_everyday_words_are_not_reasons() -> None:
    keywords = [
        Keyword("overtime", "overtim", 2.0),
        Keyword("technicians", "technician", 1.8),
        Keyword("office", "offic", 0.6),
    ]
    texts = ["Each Technician sees OVERTIME before it happens.", "Back at the office."]
    assert mentioned(keywords, texts, scan_chars=10_000) == ["overtime", "technicians"]
    assert mentioned(keywords, ["nothing relevant"], scan_chars=10_000) == []


def test_a_thanks_before_the_content_is_not_a_sign_off() -> None:
    words = {k.word for k in read_deal("Thanks!\nThey want offline mode and SSO.").keywords}
    assert {"offline", "sso"} <= words
    closing = {k.word for k in read_deal("They want offline mode.\n\nCheers,\nSam Carter").keywords}
    assert "offline" in closing
    assert "sam" not in closing


def test_words_the_catalogue_does_not_tell_apart_are_left_out() -> None:
    common = {"technician"}
    reading = read_deal("Technicians log overtime on paper.", telling=lambda s: s not in common)
    words = [k.word for k in reading.keywords]
    assert "overtime" in words
    assert "technicians" not in words


def test_long_lines_are_prose_and_read_in_full() -> None:
    paragraph = "Our crews log overtime in basements without any signal. " * 40
    thread = (
        f"Hi Sam,\n\n{paragraph}Does it work offline?\n\nThanks,\nLee\n\n"
        "On Tue, Mar 3, 2026 at 4:12 PM, Sam Carter <sam@fieldline.example> wrote:\n"
        f"> {'Attached is the pricing overview with our discounts. ' * 10}\n"
    )
    reading = read_deal(thread)
    words = {k.word for k in reading.keywords}
    assert {"overtime", "basements", "offline", "pricing"} <= words
    assert "lee" not in words
    assert any(s.text.endswith("Does it work offline?") for s in reading.sentences)
    assert not any("\ue000" in s.text for s in reading.sentences)


def test_kind_cues_in_any_case_and_odd_letters() -> None:
    # Case-insensitive matching lets İ, ı and ſ match i and s: still a cue, never an error.
    reading = read_deal("Please send the SLİDES and a caſe ſtudy; the slıdes too")
    assert [k.value for k in reading.kinds] == ["presentation", "case_study"]


def test_a_line_opening_with_thanks_is_the_message_not_its_signature() -> None:
    reading = read_deal(
        "Hi Sam,\nThanks, the pilot went well. They need union overtime rules and offline sync."
    )
    assert {"overtime", "offline", "pilot"} <= {k.word for k in reading.keywords}


def test_a_signature_set_off_by_dashes_is_dropped() -> None:
    reading = read_deal(
        "Can you show the overtime dashboard to our payroll team?\n"
        "--\nJordan Kowalczyk\nHead of Infrastructure, Northwind Quarries\n"
    )
    words = {k.word for k in reading.keywords}
    assert {"overtime", "payroll", "dashboard"} <= words
    assert not words & {"jordan", "kowalczyk", "northwind", "quarries", "infrastructure"}
