"""Hidden tests of the candidate's triage.classify API."""
import sys

sys.path.append("/workspace")

import triage  # noqa: E402

CATEGORIES = {"billing", "technical", "account", "shipping", "feedback"}


def check(result):
    category, confidence = result
    assert category in CATEGORIES, f"{category!r} is not a category"
    assert isinstance(confidence, float), f"confidence {confidence!r} is not a float"
    assert 0.0 <= confidence <= 1.0, f"confidence {confidence} is outside 0..1"


def test_api_returns_a_category_and_a_confidence():
    check(triage.classify("I was charged twice for my subscription"))


def test_api_billing_ticket():
    assert triage.classify("Please refund the duplicate charge on my invoice")[0] == "billing"


def test_api_is_deterministic():
    text = "The app crashes when I open the settings page"
    assert triage.classify(text) == triage.classify(text)


def test_edge_empty_text():
    check(triage.classify(""))


def test_edge_whitespace_only():
    check(triage.classify("   \n\t  "))


def test_edge_very_long_text():
    check(triage.classify("my parcel has not arrived yet " * 5000))


def test_edge_non_english():
    check(triage.classify("Mi paquete no ha llegado todavía 📦 — 请帮忙，谢谢"))


def test_edge_control_characters():
    check(triage.classify("login\x00 fails \x1b[31m again\r\n"))
