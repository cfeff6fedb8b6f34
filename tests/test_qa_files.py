"""The SQuAD-format reader: what it keeps, drops, counts and refuses."""
import random

import pytest

import qa_fixtures
from byt5_tasks import qa_files
from byt5_tasks import vocab


def _write(tmp_path, document, name="f.json", gz=False):
  return qa_fixtures.write_json(tmp_path / name, document, gz=gz)


def _one_paragraph(context, qas):
  return {"data": [{"title": "T", "paragraphs": [{"context": context,
                                                  "qas": qas}]}]}


@pytest.mark.parametrize("gz", [False, True])
def test_reads_every_question_of_a_valid_file(tmp_path, gz):
  path = _write(tmp_path, qa_fixtures.squad_document(), gz=gz)
  examples, stats = qa_files.read_squad_file(path, lang="xx")
  assert [ex.id for ex in examples] == ["q1", "q2", "q3", "q4"]
  assert examples[0].answers == ("Ada Lovelace", "Lovelace")
  assert examples[2].context == "北京在1949年成为首都。"
  assert {ex.lang for ex in examples} == {"xx"}
  assert (stats.read, stats.kept, stats.num_dropped) == (4, 4, 0)
  assert qa_files.read_stats()[path].kept == 4


def test_invalid_json_names_the_file(tmp_path):
  path = tmp_path / "broken.json"
  path.write_text('{"data": [', encoding="utf-8")
  with pytest.raises(qa_files.QADataError, match="broken.json: invalid JSON"):
    qa_files.read_squad_file(str(path), lang="en")


def test_corrupt_gzip_names_the_file(tmp_path):
  path = tmp_path / "broken.json.gz"
  path.write_bytes(b"not gzip at all")
  with pytest.raises(qa_files.QADataError, match="broken.json.gz: not a valid"):
    qa_files.read_squad_file(str(path), lang="en")


def test_missing_file_is_reported(tmp_path):
  with pytest.raises(FileNotFoundError, match="nothing.json"):
    qa_files.read_squad_file(str(tmp_path / "nothing.json"), lang="en")


@pytest.mark.parametrize("document, message", [
    ({"version": "1.1"}, "missing field 'data'"),
    ({"data": [{"title": "T"}]}, r"data\[0\]: missing field 'paragraphs'"),
    ({"data": [{"paragraphs": [{"qas": []}]}]}, "missing field 'context'"),
    (_one_paragraph("c", [{"question": "q?", "answers": []}]),
     r"qas\[0\]: missing field 'id'"),
    (_one_paragraph("c", [{"id": "x7", "answers": []}]),
     "question x7: missing field 'question'"),
    (_one_paragraph("c", [{"id": "x8", "question": "q?"}]),
     "question x8: missing field 'answers'"),
    (_one_paragraph("c", [{"id": "x9", "question": 3, "answers": []}]),
     "question x9: field 'question' should be str"),
])
def test_structural_damage_raises_naming_file_and_place(tmp_path, document,
                                                         message):
  path = _write(tmp_path, document, name="bad.json")
  with pytest.raises(qa_files.QADataError, match=message) as info:
    qa_files.read_squad_file(path, lang="en")
  assert "bad.json" in str(info.value)


UNUSABLE = [
    ("no_answers", [], "no answers"),
    ("empty_text", [{"text": " ", "answer_start": 0}], "empty answer text"),
    ("bad_start", [{"text": "blue", "answer_start": 3}],
     "answer_start does not match the context"),
    ("negative_start", [{"text": "blue", "answer_start": -1}],
     "answer_start does not match the context"),
]


def _document_with_unusable_questions():
  context = "The sky is blue."
  qas = [qa_fixtures.question(qid, "Which?", answers)
         for qid, answers, _ in UNUSABLE]
  qas.append(qa_fixtures.question(
      "good", "Which colour?",
      [{"text": "blue", "answer_start": context.index("blue")}]))
  return _one_paragraph(context, qas)


def test_unusable_questions_are_dropped_and_counted_by_reason(tmp_path):
  path = _write(tmp_path, _document_with_unusable_questions())
  examples, stats = qa_files.read_squad_file(path, lang="en")
  assert [ex.id for ex in examples] == ["good"]
  assert stats.read == 5 and stats.kept == 1 and stats.num_dropped == 4
  assert stats.dropped == {"no answers": 1, "empty answer text": 1,
                           "answer_start does not match the context": 2}
  assert stats.dropped_examples["no answers"] == ["no_answers"]
  summary = stats.summary()
  assert "read 5, kept 1" in summary and "bad_start" in summary


@pytest.mark.parametrize("qid, answers, reason", UNUSABLE)
def test_strict_mode_raises_naming_file_and_question(tmp_path, qid, answers,
                                                      reason):
  document = _one_paragraph("The sky is blue.",
                            [qa_fixtures.question(qid, "Which?", answers)])
  path = _write(tmp_path, document, name="strict.json")
  with pytest.raises(qa_files.QADataError,
                     match=f"strict.json: question {qid}: {reason}"):
    qa_files.read_squad_file(path, lang="en",
                             on_error=qa_files.ON_ERROR_RAISE)


def test_combined_tydiqa_file_takes_language_from_id(tmp_path):
  questions = [(f"{prefix}-{n}", "Q?", "ctx ans", ("ans",))
               for n, prefix in enumerate(["english", "korean", "english",
                                           "swahili"])]
  path = _write(tmp_path, qa_fixtures.squad_document(questions))
  english, stats = qa_files.read_squad_file(
      path, lang="en", lang_from_id=qa_files.tydiqa_lang_from_id)
  assert [ex.id for ex in english] == ["english-0", "english-2"]
  assert stats.read == 2  # Other languages belong to other tasks.
  _, korean_stats = qa_files.read_squad_file(
      path, lang="ko", lang_from_id=qa_files.tydiqa_lang_from_id)
  # Each language of a shared file keeps its own counts.
  recorded = qa_files.read_stats()
  assert recorded[f"{path} [en]"].kept == 2
  assert recorded[f"{path} [ko]"].kept == korean_stats.kept == 1
  everything, _ = qa_files.read_squad_file(
      path, lang=None, lang_from_id=qa_files.tydiqa_lang_from_id)
  assert [ex.lang for ex in everything] == ["en", "ko", "en", "sw"]


def test_unknown_tydiqa_id_prefix_is_an_error(tmp_path):
  path = _write(tmp_path, qa_fixtures.squad_document(
      [("klingon-1", "Q?", "ctx ans", ("ans",))]), name="tydi.json")
  with pytest.raises(qa_files.QADataError,
                     match="tydi.json: question klingon-1: cannot tell"):
    qa_files.read_squad_file(path, lang="en",
                             lang_from_id=qa_files.tydiqa_lang_from_id)


def _random_text(rng: random.Random, length: int) -> str:
  """Code points from every plane except surrogates (not valid in UTF-8)."""
  chars = []
  while len(chars) < length:
    cp = rng.choice([rng.randrange(0x20, 0x800), rng.randrange(0x800, 0x10000),
                     rng.randrange(0x10000, 0x110000)])
    if not 0xD800 <= cp <= 0xDFFF:
      chars.append(chr(cp))
  return "".join(chars)


def test_any_utf8_text_survives_reading_and_byte_encoding(tmp_path):
  rng = random.Random(0)
  texts = ["e\u0301 combining", "\u200d\u200b zero-width", "\U0001F9D1\u200d"
           "\U0001F4BB emoji", "ı İ i I", "\u0000nul"]
  texts += [_random_text(rng, rng.randrange(1, 200)) for _ in range(50)]
  questions = [(f"id{n}", text, f"{text} ctx", (text,))
               for n, text in enumerate(texts)]
  path = _write(tmp_path, qa_fixtures.squad_document(questions), gz=True)
  examples, stats = qa_files.read_squad_file(path, lang="xx")
  assert stats.kept == len(texts)
  dataset = qa_files.examples_to_dataset(examples)
  for text, ex in zip(texts, dataset.as_numpy_iterator()):
    assert ex["question"].decode("utf-8") == text
    assert [a.decode("utf-8") for a in ex["answers"]] == [text]
    ids = vocab.BYTE_VOCAB.encode(text)
    assert vocab.BYTE_VOCAB.decode(ids) == text
