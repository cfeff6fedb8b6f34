"""QA tasks built by the registry: files and TFDS sources, formatting,
postprocessing into metrics, the mT5 vocabulary, truncation, the CLI."""
import gzip
import io
import json
from unittest import mock

import numpy as np
import pytest
import seqio
import sentencepiece as spm
import tensorflow as tf

import qa_fixtures
from byt5_tasks import cli
from byt5_tasks import config
from byt5_tasks import metrics
from byt5_tasks import qa
from byt5_tasks import qa_benchmarks
from byt5_tasks import registry
from byt5_tasks import truncation
from byt5_tasks import vocab

PREFIX = "fixture_byt5"


@pytest.fixture
def data_dir(tmp_path):
  qa_fixtures.write_layout(tmp_path)
  return str(tmp_path)


@pytest.fixture
def tasks(data_dir):
  return registry.register_qa_tasks(prefix=PREFIX, source_kind="files",
                                    data_dir=data_dir)


def _examples(name, split, sequence_length=None):
  task = seqio.get_mixture_or_task(name)
  ds = task.get_dataset(sequence_length=sequence_length, split=split,
                        shuffle=False, use_cached=False)
  return list(ds.as_numpy_iterator())


def test_registers_bytet5_names_and_setup_mixtures(tasks):
  assert f"{PREFIX}_xquad_test.es" in tasks
  assert f"{PREFIX}_mlqa_dev_test.de" in tasks
  assert f"{PREFIX}_tydiqa_dev.sw" in tasks
  xquad = seqio.get_mixture_or_task(f"{PREFIX}_xquad_zeroshot")
  names = {t.name for t in xquad.tasks}
  assert f"{PREFIX}_squad_train_dev" in names
  assert f"{PREFIX}_xquad_test.all_langs" in names
  assert len(names) == 2 + len(qa_benchmarks.XQUAD_LANGS)
  tydiqa = {t.name for t in seqio.get_mixture_or_task(
      f"{PREFIX}_tydiqa_zeroshot").tasks}
  assert f"{PREFIX}_tydiqa_train.en" in tydiqa


def test_examples_are_text_to_text_with_every_answer_kept(tasks):
  del tasks
  examples = _examples(f"{PREFIX}_xquad_test.es", "test")
  first = examples[0]
  decode = vocab.BYTE_VOCAB.decode
  assert decode(first["inputs"].tolist()) == (
      "question: Who wrote it? context: It was written by Ada Lovelace in "
      "1843.")
  # EOS closes the ids; the text is the first gold answer.
  assert first["targets"][-1] == 1
  assert decode(first["targets"][:-1].tolist()) == "Ada Lovelace"
  assert list(first["answers"]) == [b"Ada Lovelace", b"Lovelace"]
  assert first["id"] == b"q1" and first["lang"] == b"es"
  texts = [decode(ex["inputs"].tolist()) for ex in examples]
  assert texts[3].endswith("ताजमहल आगरा में है। 🏛️")


def test_all_langs_concatenates_languages_present(tasks, data_dir):
  del tasks
  spec = qa_benchmarks.QATaskSpec(
      "xquad_two", {"test": tuple(p for p in qa_benchmarks.qa_task_specs()[1]
                                  .splits["test"] if p.lang in ("en", "es"))})
  registry.register_qa_task(f"{PREFIX}_xquad_two", spec,
                            vocab.byte_output_features(), "files", data_dir)
  langs = [ex["lang"] for ex in _examples(f"{PREFIX}_xquad_two", "test")]
  assert langs == [b"en"] * 4 + [b"es"] * 4


def test_missing_language_lists_the_paths_it_looked_for(tasks):
  del tasks
  with pytest.raises(FileNotFoundError) as info:
    _examples(f"{PREFIX}_xquad_test.th", "test")
  message = str(info.value)
  assert "xquad/xquad.th.json" in message and "xquad.th.json.gz" in message


def test_tydiqa_reads_per_language_files(tasks):
  del tasks
  ids = [ex["id"] for ex in _examples(f"{PREFIX}_tydiqa_train.sw", "train")]
  assert ids == [b"swahili-q1", b"swahili-q2", b"swahili-q3", b"swahili-q4"]


def test_tydiqa_falls_back_to_the_official_combined_file(tmp_path):
  combined = [(f"{p}-{n}", "Q?", "ctx ans", ("ans",))
              for n, p in enumerate(["english", "korean", "english"])]
  qa_fixtures.write_json(tmp_path / "qa/tydiqa/tydiqa-goldp-v1.1-dev.json",
                         qa_fixtures.squad_document(combined))
  registry.register_qa_tasks(prefix="combined", source_kind="files",
                             data_dir=str(tmp_path))
  english = _examples("combined_tydiqa_dev.en", "validation")
  assert [ex["id"] for ex in english] == [b"english-0", b"english-2"]
  assert [ex["lang"] for ex in english] == [b"en", b"en"]


def test_postprocessed_targets_carry_id_language_and_all_answers(tasks):
  del tasks
  task = seqio.get_mixture_or_task(f"{PREFIX}_mlqa_dev_test.de")
  examples = _examples(task.name, "validation")
  targets = [task.postprocess_fn(None, example=ex, is_target=True)
             for ex in examples]
  assert isinstance(targets[0], qa.QATarget)
  assert targets[0] == ["Ada Lovelace", "Lovelace"]
  assert (targets[0].id, targets[0].lang) == ("q1", "de")
  predictions = [task.postprocess_fn(b"Lovelace", example=ex)
                 for ex in examples]
  assert predictions[0] == "Lovelace"
  (metric_fn,) = task.metric_fns
  scores = metric_fn(targets, predictions)
  # Only q1 lists "Lovelace" among its answers.
  assert scores["em"] == pytest.approx(25.0)
  assert scores == metrics.mlqa(targets, predictions, "de")


def _fake_tfds_examples(ids, lang_context="ctx ans"):
  return tf.data.Dataset.from_tensor_slices({
      "id": ids,
      "title": ["t"] * len(ids),
      "context": [lang_context] * len(ids),
      "question": ["Q?"] * len(ids),
      "answers": {"text": tf.ragged.constant([["ans", "an"]] * len(ids)),
                  "answer_start": tf.ragged.constant([[4, 4]] * len(ids))},
  })


def test_tfds_source_flattens_and_filters_by_language():
  loaded = []

  def fake_load(self, split, shuffle_files, seed=None):
    loaded.append((self._name, split))
    return _fake_tfds_examples(["english-1", "korean-2", "english-3"])

  with mock.patch.object(seqio.LazyTfdsLoader, "load", fake_load):
    registry.register_qa_tasks(prefix="tfds_fixture", source_kind="tfds")
    english = _examples("tfds_fixture_tydiqa_train.en", "train")
    dev = _examples("tfds_fixture_tydiqa_dev.ko", "validation")
  assert [ex["id"] for ex in english] == [b"english-1", b"english-3"]
  assert list(english[0]["answers"]) == [b"ans", b"an"]
  assert english[0]["lang"] == b"en"
  assert [ex["id"] for ex in dev] == [b"korean-2"]
  assert (qa_benchmarks.TYDIQA_TFDS, "train") in loaded
  assert (qa_benchmarks.TYDIQA_TFDS, "validation-ko") in loaded


def test_tfds_source_refuses_a_language_tfds_lacks():
  registry.register_qa_tasks(prefix="tfds_fixture", source_kind="tfds")
  with pytest.raises(ValueError, match="xquad.ro.*not in TFDS"):
    _examples("tfds_fixture_xquad_test.ro", "test")


def test_source_kind_follows_the_environment(monkeypatch, tmp_path):
  monkeypatch.delenv(config.DATA_DIR_ENV, raising=False)
  monkeypatch.delenv(config.SOURCE_ENV, raising=False)
  assert config.source_kind() == config.SOURCE_TFDS
  monkeypatch.setenv(config.DATA_DIR_ENV, str(tmp_path))
  assert config.source_kind() == config.SOURCE_FILES
  monkeypatch.setenv(config.SOURCE_ENV, "tfds")
  assert config.source_kind() == config.SOURCE_TFDS
  monkeypatch.setenv(config.SOURCE_ENV, "bogus")
  with pytest.raises(ValueError, match="BYT5_TASKS_SOURCE"):
    config.source_kind()


@pytest.fixture
def sentencepiece_model(tmp_path):
  """A small SentencePiece model trained on the fixture text."""
  lines = []
  for _, question, context, answers in qa_fixtures.DEFAULT_QUESTIONS:
    lines += [question, context, *answers, "question: context:"]
  corpus = tmp_path / "corpus.txt"
  corpus.write_text("\n".join(lines * 20), encoding="utf-8")
  prefix = str(tmp_path / "sp")
  spm.SentencePieceTrainer.train(
      input=str(corpus), model_prefix=prefix, vocab_size=350, minloglevel=2,
      character_coverage=1.0, normalization_rule_name="identity",
      byte_fallback=True, pad_id=0, eos_id=1, unk_id=2, bos_id=-1)
  return prefix + ".model"


def test_mt5_tasks_give_identical_examples_in_sentencepiece(
    data_dir, sentencepiece_model):
  registry.register_qa_tasks(
      prefix="fixture_mt5", source_kind="files", data_dir=data_dir,
      output_features=vocab.mt5_output_features(sentencepiece_model))
  registry.register_qa_tasks(prefix=PREFIX, source_kind="files",
                             data_dir=data_dir)
  sp_examples = _examples("fixture_mt5_xquad_test.en", "test")
  byte_examples = _examples(f"{PREFIX}_xquad_test.en", "test")
  sp_vocab = vocab.mt5_vocabulary(sentencepiece_model)
  for sp_ex, byte_ex in zip(sp_examples, byte_examples):
    # Pieces, not bytes...
    assert len(sp_ex["inputs"]) < len(byte_ex["inputs"])
    # ...of exactly the same text.
    assert (sp_vocab.decode(sp_ex["inputs"].tolist()) ==
            vocab.BYTE_VOCAB.decode(byte_ex["inputs"].tolist()))
    assert sp_ex["id"] == byte_ex["id"]


def test_mt5_vocabulary_path_comes_from_the_environment(monkeypatch):
  monkeypatch.delenv(config.MT5_VOCAB_ENV, raising=False)
  assert config.mt5_vocab_path() == config.DEFAULT_MT5_VOCAB
  monkeypatch.setenv(config.MT5_VOCAB_ENV, "/somewhere/sp.model")
  assert config.mt5_vocab_path() == "/somewhere/sp.model"


def test_truncation_counts_cut_inputs_and_lost_answers():
  def example(question, context, answer):
    text = f"question: {question} context: {context}"
    return {"inputs": np.array(vocab.BYTE_VOCAB.encode(text)),
            "answers": np.array([answer.encode()], dtype=object)}
  examples = [
      example("q", "short", "short"),                  # fits
      example("q", "answer early " + "x" * 100, "answer"),  # cut, kept
      example("q", "x" * 100 + " late answer", "late"),     # cut, lost
      example("q" * 100, "context", "context"),        # cut inside question
  ]
  stats = truncation.count_truncation(examples, vocab.BYTE_VOCAB,
                                      inputs_length=50)
  assert (stats.examples, stats.truncated, stats.answer_lost) == (4, 3, 2)
  assert stats.longest == len(examples[1]["inputs"]) + 1
  assert "3 truncated (75.0%)" in stats.summary()


def test_cli_lists_shows_and_counts(tasks):
  del tasks
  with mock.patch.object(cli, "_import_tasks"):
    out = io.StringIO()
    cli.main(["list", f"^{PREFIX}_mlqa", "--no-rates"], out=out)
    assert f"{PREFIX}_mlqa_dev_test.de  [validation, test]" in out.getvalue()
    assert f"{PREFIX}_mlqa_zeroshot" in out.getvalue()

    out = io.StringIO()
    cli.main(["list", f"^{PREFIX}_tydiqa_zeroshot$"], out=out)
    shares = [float(line.split()[0]) for line in out.getvalue().splitlines()
              if line.startswith("    ")]
    assert len(shares) == 10 and sum(shares) == pytest.approx(1.0)

    out = io.StringIO()
    cli.main(["show", f"{PREFIX}_xquad_test.es", "-n", "2"], out=out)
    text = out.getvalue()
    assert "inputs (" in text and "Πότε;" in text and "targets (" in text

    out = io.StringIO()
    cli.main(["count", f"{PREFIX}_xquad_test.en"], out=out)
    assert f"{PREFIX}_xquad_test.en [test]: 4 examples" in out.getvalue()
    assert "read 4, kept 4" in out.getvalue()


def test_files_source_reads_any_tf_filesystem_path():
  # `ram://` goes through tf.io.gfile exactly as `gs://` does.
  root = "ram://byt5_tasks_fixture"
  document = qa_fixtures.squad_document()
  tf.io.gfile.makedirs(f"{root}/qa/xquad")
  with tf.io.gfile.GFile(f"{root}/qa/xquad/xquad.vi.json.gz", "wb") as f:
    f.write(gzip.compress(json.dumps(document).encode("utf-8")))
  registry.register_qa_tasks(prefix="ramfs", source_kind="files",
                             data_dir=root)
  ids = [ex["id"] for ex in _examples("ramfs_xquad_test.vi", "test")]
  assert ids == [b"q1", b"q2", b"q3", b"q4"]


def test_noise_variants_of_every_setup(tasks):
  del tasks
  names = registry.register_qa_noise_variants(prefix=PREFIX)
  eval_mixture = seqio.get_mixture_or_task(
      registry.noise_eval_mixture_name(PREFIX, "mlqa_zeroshot"))
  members = {t.name for t in eval_mixture.tasks}
  clean = {f"{PREFIX}_mlqa_dev_test.{l}" for l in qa_benchmarks.MLQA_LANGS}
  noised_tasks = {registry.noised_name(t, s) for t in clean
                  for s in ("drop", "add_drop_mutate", "repetitions",
                            "antspeak", "uppercase", "random_case")}
  assert members == clean | noised_tasks
  xquad_eval = {t.name for t in seqio.get_mixture_or_task(
      registry.noise_eval_mixture_name(PREFIX, "xquad_zeroshot")).tasks}
  assert not any("all_langs" in name for name in xquad_eval)
  assert f"{PREFIX}_tydiqa_zeroshot.noise_antspeak" in names

  clean_ex = _examples(f"{PREFIX}_mlqa_dev_test.de", "validation")[0]
  noisy_ex = _examples(f"{PREFIX}_mlqa_dev_test.de.noise_uppercase",
                       "validation")[0]
  decode = vocab.BYTE_VOCAB.decode
  assert decode(noisy_ex["inputs"].tolist()) == (
      "question: WHO WROTE IT? context: IT WAS WRITTEN BY ADA LOVELACE IN "
      "1843.")
  assert (noisy_ex["targets"] == clean_ex["targets"]).all()
