"""Tiny SQuAD-format files for QA tests, written where a test asks."""
import gzip
import json
import pathlib
from typing import Any, Dict, List, Optional, Sequence, Tuple

# (id, question, context, answers) — several scripts, so byte round trips are
# exercised; answers occur in their contexts.
DEFAULT_QUESTIONS: Tuple[Tuple[str, str, str, Tuple[str, ...]], ...] = (
    ("q1", "Who wrote it?", "It was written by Ada Lovelace in 1843.",
     ("Ada Lovelace", "Lovelace")),
    ("q2", "Πότε;", "Η μάχη έγινε το 1821 στην Αθήνα.", ("1821",)),
    ("q3", "什么时候？", "北京在1949年成为首都。", ("1949年",)),
    ("q4", "कहाँ?", "ताजमहल आगरा में है। 🏛️", ("आगरा",)),
)


def squad_document(questions=DEFAULT_QUESTIONS) -> Dict[str, Any]:
  """A SQuAD v1.1 document with one paragraph per question."""
  paragraphs = []
  for qid, question, context, answers in questions:
    paragraphs.append({
        "context": context,
        "qas": [{
            "id": qid,
            "question": question,
            "answers": [{"text": a, "answer_start": context.index(a)}
                        for a in answers],
        }],
    })
  return {"version": "1.1",
          "data": [{"title": "Fixture", "paragraphs": paragraphs}]}


def write_json(path: pathlib.Path, document: Any, gz: bool = False) -> str:
  path.parent.mkdir(parents=True, exist_ok=True)
  raw = json.dumps(document, ensure_ascii=False).encode("utf-8")
  if gz:
    path = path.with_name(path.name + ".gz")
    path.write_bytes(gzip.compress(raw))
  else:
    path.write_bytes(raw)
  return str(path)


def write_layout(root: pathlib.Path,
                 xquad_langs: Sequence[str] = ("en", "es"),
                 tydiqa_langs: Sequence[str] = ("en", "sw"),
                 questions=DEFAULT_QUESTIONS) -> List[str]:
  """The files layout of ../shared/data, small: SQuAD, XQuAD, MLQA, TyDiQA."""
  written = [
      write_json(root / "qa/squad/train-v1.1.json", squad_document(questions)),
      write_json(root / "qa/squad/dev-v1.1.json", squad_document(questions),
                 gz=True),
  ]
  for lang in xquad_langs:
    written.append(write_json(root / f"qa/xquad/xquad.{lang}.json",
                              squad_document(questions), gz=True))
  written.append(write_json(
      root / "qa/mlqa/dev/dev-context-de-question-de.json",
      squad_document(questions)))
  prefixes = {"en": "english", "sw": "swahili", "ko": "korean"}
  for split in ("train", "dev"):
    for lang in tydiqa_langs:
      renamed = [(f"{prefixes[lang]}-{qid}", q, c, a)
                 for qid, q, c, a in questions]
      written.append(write_json(
          root / f"qa/tydiqa/{split}/tydiqa-goldp-v1.1-{split}-{lang}.json",
          squad_document(renamed), gz=True))
  return written


def question(qid: str, question_text: str, answers: Optional[list]) -> dict:
  qa = {"id": qid, "question": question_text}
  if answers is not None:
    qa["answers"] = answers
  return qa
