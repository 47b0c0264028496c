"""Word tokens of any script, compound parts and one-slip spelling matches (pure logic)."""

from __future__ import annotations

from index.text import compound_parts, content_terms, words


def test_a_word_with_accents_is_one_word() -> None:
    assert words("Möngke Khan met Maizière in Zürich.") == ["Möngke", "Khan", "met", "Maizière", "in", "Zürich"]
    assert words("Ελλάδα and Россия") == ["Ελλάδα", "and", "Россия"]


def test_numbers_compounds_and_clitics_stay_whole() -> None:
    assert words("Nexperia's al-Qaeda 3.5% EU–China it’s") == ["Nexperia's", "al-Qaeda", "3.5%", "EU–China", "it's"]


def test_compound_parts() -> None:
    assert compound_parts("Saint-Clair-sur-Epte") == ["Saint-Clair-sur-Epte", "Saint", "Clair", "sur", "Epte"]
    assert compound_parts("EU–China") == ["EU–China", "EU", "China"]
    assert compound_parts("licence") == ["licence"]
    assert content_terms("the treaty of Saint-Clair-sur-Epte") == [
        "treaty",
        "Saint-Clair-sur-Epte",
        "Saint",
        "Clair",
        "sur",
        "Epte",
    ]
