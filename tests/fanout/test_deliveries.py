"""One delivery row per recipient: the language a device gets, its rendered content."""

from emulator.fanout.deliveries import SendContent


def test_a_device_without_a_language_gets_the_default() -> None:
    content = SendContent.compile(
        {
            "multiLangContent": {
                "defaultLanguage": "EN",
                "contents": [{"language": "EN", "title": "A"}, {"language": "TR", "title": "B"}],
            }
        }
    )
    assert content.for_language(None).language == "EN"
    assert content.for_language("Tr").language == "TR"
    assert content.for_language("xx").language == "EN"
