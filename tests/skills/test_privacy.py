"""Personal data is masked before an external model call, and unmasked only where the user typed it."""

from __future__ import annotations

from kiw_common.openai_connection import OpenAIConnection
from skills.generator.openai_chat import OpenAIGenerator
from skills.privacy import Masker, contains_personal_data, masked_for_service
from tests.skills.helpers import passage
from tests.skills.openai_server import FakeOpenAI, Reply, openai_server

DOCUMENT = (
    "Ansprechpartnerin ist Frau Dr. Anna Schmidt, Tel. 0451 122-4711, anna.schmidt@luebeck.de. "
    "Zahlungen auf IBAN DE89 3704 0044 0532 0130 00. Sitz: Breite Straße 62, 23552 Lübeck. "
    "Mit freundlichen Grüßen\nKlaus Peters"
)


def test_masks_each_kind_and_keeps_dates_amounts_and_references() -> None:
    masker = Masker()
    text = DOCUMENT + " Am 01.03.2026 kostet es 1.200.000 Euro (VO/2025/12345, 2026/0541)."
    masked = masker.mask(text, "document")
    for secret in (
        "anna.schmidt@luebeck.de",
        "DE89 3704",
        "0451 122-4711",
        "Breite Straße 62",
        "Anna Schmidt",
        "Klaus Peters",
    ):
        assert secret not in masked, secret
    for kept in ("01.03.2026", "1.200.000 Euro", "VO/2025/12345", "2026/0541"):
        assert kept in masked, kept
    assert "[EMAIL_1]" in masked and "[IBAN_1]" in masked and "[PERSON_1]" in masked


def test_unmask_restores_only_what_the_user_typed() -> None:
    masker = Masker()
    question = masker.mask("Darf ich die Adresse max@example.org von Herrn Meier eingeben?", "user")
    masker.mask("Kontakt: info@luebeck.de", "document")
    reply = masker.unmask("Schreiben Sie nicht an [EMAIL_1] oder [EMAIL_2]; Herr [PERSON_1].")
    assert "max@example.org" in reply and "Meier" in reply
    assert "info@luebeck.de" not in reply and "[E-Mail-Adresse]" in reply
    assert "max@example.org" not in question


def test_same_value_gets_the_same_placeholder() -> None:
    masker = Masker()
    a = masker.mask("a@b.de", "user")
    b = masker.mask("Mail an a@b.de", "document")
    assert a == "[EMAIL_1]" and b == "Mail an [EMAIL_1]"
    assert masker.unmask("[EMAIL_1]") == "a@b.de"  # the user typed it


def test_titles_without_a_name_are_not_masked() -> None:
    assert Masker().mask("Frau Senatorin berichtet.", "document") == "Frau Senatorin berichtet."
    assert not contains_personal_data("Der Bauausschuss tagt am 19.10.2026.")


def test_an_address_takes_its_house_number_letter_but_not_the_next_word() -> None:
    masked = Masker().mask(
        "Antrag zur Beckergrube 12 eingereicht, Königstraße 5 a, Am Markt 3b.", "user"
    )
    assert masked == "Antrag zur [ADRESSE_1] eingereicht, [ADRESSE_2], [ADRESSE_3]."


def test_text_for_an_embeddings_service_carries_labels_only() -> None:
    assert masked_for_service("Herr Dr. Jansen, jansen@luebeck.de, Am Markt 3b") == (
        "Herr Dr. [Name], [E-Mail-Adresse], [Adresse]"
    )


async def test_external_endpoint_receives_no_personal_data() -> None:
    question = "Darf ich die Mail von max.muster@example.org mit IBAN DE02 1203 0000 0000 2020 51 weitergeben?"
    fake = FakeOpenAI(
        replies=[Reply("Nein, auch nicht für [EMAIL_1] [1]. Fragen Sie [PERSON_1] [1].")]
    )
    async with openai_server(fake):
        gen = OpenAIGenerator(
            model="m", connection=OpenAIConnection(base_url=fake.base_url, on_premise=False)
        )
        result = await gen.answer(question, [passage(1, DOCUMENT)])
        await gen.close()
    sent = fake.received[0].text
    for secret in (
        "max.muster@example.org",
        "DE02 1203",
        "anna.schmidt@luebeck.de",
        "DE89 3704",
        "0451 122-4711",
        "Anna Schmidt",
        "Breite Straße 62",
        "Klaus Peters",
    ):
        assert secret not in sent, secret
    assert "[EMAIL_1]" in sent
    # The user's own e-mail comes back; the document's name stays a neutral label.
    assert "max.muster@example.org" in result.text
    assert "Anna Schmidt" not in result.text and "[Name]" in result.text


async def test_on_premise_endpoint_gets_the_text_unmasked() -> None:
    fake = FakeOpenAI(replies=[Reply("Nein [1].")])
    async with openai_server(fake):
        gen = OpenAIGenerator(
            model="m", connection=OpenAIConnection(base_url=fake.base_url, on_premise=True)
        )
        await gen.answer("Mail an max@example.org?", [passage(1, DOCUMENT)])
        await gen.close()
    sent = fake.received[0].text
    assert "max@example.org" in sent and "anna.schmidt@luebeck.de" in sent


async def test_summaries_are_masked_too() -> None:
    reply = '{"key_points": [{"text": "Kontakt über [EMAIL_1].", "cited": [1]}]}'
    fake = FakeOpenAI(replies=[Reply(reply)])
    async with openai_server(fake):
        gen = OpenAIGenerator(model="m", connection=OpenAIConnection(base_url=fake.base_url))
        summary = await gen.summarise([passage(1, DOCUMENT)], title="Vorlage")
        await gen.close()
    assert "anna.schmidt@luebeck.de" not in fake.received[0].text
    assert summary.key_points[0].text == "Kontakt über [E-Mail-Adresse]."
