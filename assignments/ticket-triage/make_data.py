"""Generates the ticket-triage data set: short customer-support tickets in five categories,
with class imbalance, varied templates and vocabulary, and noise (typos, casing, filler,
stray words from other categories, some non-English text, 5% of tickets filed under a
random category). Seeded: the same files every run.

  python3 make_data.py     (standard library only)
"""
import csv
import random

SEED = 20261122
TOTAL = 4000
TRAIN = 3000
LABEL_NOISE = 0.05
WEIGHTS = {"billing": 0.35, "technical": 0.28, "account": 0.17, "shipping": 0.12, "feedback": 0.08}

TEMPLATES = {
    "billing": [
        "I was charged {twice} for my {plan} this month",
        "Please refund the {charge} on my {invoice}",
        "Why is my {invoice} higher than last {period}?",
        "The {charge} of {amount} is wrong, I cancelled my {plan}",
        "Can I get a receipt for the {amount} payment?",
        "My card was declined but I still see a {charge}",
        "How do I change the payment method for my {plan}?",
    ],
    "technical": [
        "The app {crashes} when I open the {screen}",
        "I get error {code} every time I try to {action}",
        "The {screen} is {broken} since the last update",
        "Sync is {broken}: my {item} do not show up on my phone",
        "The page keeps loading forever when I {action}",
        "{crashes} on startup after updating to version {version}",
        "Notifications stopped working on my {device}",
    ],
    "account": [
        "I cannot log in to my account, the password reset email never arrives",
        "How do I change the email address on my account?",
        "Please delete my account and all my {item}",
        "My account was {locked} after too many attempts",
        "I want to add a second user to my {plan}",
        "Two-factor codes are not accepted when I sign in on my {device}",
        "Someone else may have access to my account, please help",
    ],
    "shipping": [
        "My {package} has not arrived yet, it was due {period}",
        "The tracking number for my {package} does not work",
        "I received the wrong {product} in my {package}",
        "My {package} arrived damaged, the {product} is broken",
        "Can you ship to {country}?",
        "The courier left my {package} at the wrong address",
    ],
    "feedback": [
        "I love the new {screen}, great work",
        "It would be nice if the {screen} had a dark mode",
        "Your support team was very helpful, thank you",
        "Suggestion: let me export my {item} as a spreadsheet",
        "The latest update made the {screen} harder to use",
    ],
}

SLOTS = {
    "twice": ["twice", "two times", "double", "three times"],
    "plan": ["subscription", "premium plan", "family plan", "annual plan", "pro account"],
    "charge": ["charge", "payment", "fee", "transaction", "debit"],
    "invoice": ["invoice", "bill", "statement", "monthly bill"],
    "period": ["month", "week", "yesterday", "last Friday", "two weeks ago"],
    "amount": ["$19.99", "$49", "EUR 12", "$120.00", "$7.50"],
    "crashes": ["crashes", "freezes", "closes itself", "hangs", "goes blank"],
    "screen": ["settings page", "dashboard", "calendar view", "search screen", "profile page", "editor"],
    "code": ["500", "E42", "403", "0x80070005", "TIMEOUT"],
    "action": ["upload a photo", "save my changes", "export a report", "open a file", "search"],
    "broken": ["broken", "not working", "very slow", "empty", "buggy"],
    "item": ["notes", "photos", "contacts", "files", "projects"],
    "version": ["3.2.1", "4.0", "2.9.8", "5.1"],
    "device": ["iPhone", "Android phone", "tablet", "laptop", "smartwatch"],
    "locked": ["locked", "suspended", "disabled", "frozen"],
    "package": ["package", "order", "parcel", "delivery", "shipment"],
    "product": ["charger", "case", "headphones", "cable", "item"],
    "country": ["Canada", "Brazil", "Germany", "Japan", "Kenya"],
}

FILLERS = [
    "Thanks in advance.", "This is urgent!", "Please help.", "I have been a customer for years.",
    "Regards, Sam", "Sent from my phone", "Hi team,", "Hello,", "ASAP please", "", "", "",
]

FOREIGN = [
    "Hola, {text}", "{text} Gracias.", "Bonjour, {text}", "{text} Danke!", "{text} 谢谢", "{text} 🙏",
]


def typo(word, rng):
    if len(word) < 4:
        return word
    i = rng.randrange(len(word) - 1)
    kind = rng.random()
    if kind < 0.4:
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if kind < 0.7:
        return word[:i] + word[i + 1:]
    return word[:i] + word[i] + word[i:]


def ticket(category, rng):
    template = rng.choice(TEMPLATES[category])
    text = template.format(**{k: rng.choice(v) for k, v in SLOTS.items()})
    if rng.random() < 0.25:
        # A stray phrase from another category, as real tickets mix topics.
        other = rng.choice([c for c in TEMPLATES if c != category])
        stray = rng.choice(TEMPLATES[other]).format(**{k: rng.choice(v) for k, v in SLOTS.items()})
        text += ". Also " + stray[0].lower() + stray[1:]
    words = [typo(w, rng) if rng.random() < 0.1 else w for w in text.split()]
    text = " ".join(words)
    if rng.random() < 0.1:
        text = text.lower()
    elif rng.random() < 0.05:
        text = text.upper()
    filler = rng.choice(FILLERS)
    text = f"{filler} {text}".strip() if rng.random() < 0.5 else f"{text} {filler}".strip()
    if rng.random() < 0.07:
        text = rng.choice(FOREIGN).format(text=text)
    return text


def main():
    rng = random.Random(SEED)
    categories = list(WEIGHTS)
    rows = []
    for i in range(TOTAL):
        category = rng.choices(categories, weights=[WEIGHTS[c] for c in categories])[0]
        text = ticket(category, rng)
        if rng.random() < LABEL_NOISE:
            # Agents file some tickets under the wrong category, in the training data and the test set alike.
            category = rng.choice(categories)
        rows.append((f"t{i:04d}", text, category))
    rng.shuffle(rows)
    train, test = sorted(rows[:TRAIN]), sorted(rows[TRAIN:])
    with open("starter/train.csv", "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["id", "text", "category"])
        out.writerows(train)
    with open("hidden/features/tickets.csv", "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["id", "text"])
        out.writerows((i, t) for i, t, _ in test)
    with open("hidden/labels.csv", "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["id", "category"])
        out.writerows((i, c) for i, _, c in test)


if __name__ == "__main__":
    main()
