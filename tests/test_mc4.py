"""Tests for the mC4 sources, per-language tasks and family mixtures."""
import gzip
import json
import os

import pytest
import seqio
import tensorflow as tf

from byt5_tasks import languages
from byt5_tasks import mc4
from byt5_tasks import span_corruption

SENTINEL_START = 258


def _write_shard(path, texts, ensure_ascii=False):
  path.parent.mkdir(parents=True, exist_ok=True)
  with gzip.open(path, "wt", encoding="utf-8") as f:
    for i, text in enumerate(texts):
      record = {"text": text, "timestamp": "2020-01-01T00:00:00Z",
                "url": f"https://example.invalid/{i}"}
      f.write(json.dumps(record, ensure_ascii=ensure_ascii) + "\n")


def _write_language(root, lang, texts, validation=("validation text",)):
  _write_shard(root / "mc4" / f"c4-{lang}.tfrecord-00000-of-00001.json.gz",
               texts)
  _write_shard(
      root / "mc4" / f"c4-{lang}-validation.tfrecord-00000-of-00001.json.gz",
      validation)


@pytest.fixture
def isolated_families(monkeypatch):
  monkeypatch.setattr(languages, "_families", dict(languages._families))


def _decode(lines):
  out = mc4.json_lines_to_text(tf.constant(lines), tf.constant("f.json.gz"),
                               tf.constant(1, tf.int64))
  return [t.decode("utf-8") for t in out.numpy()]


# --- JSON decoding -------------------------------------------------------------

TRICKY_TEXTS = [
    "plain", "", "quote \" backslash \\ slash / \n\t\r\b\f end",
    "\\u0041 is not an escape here", "Ελληνικά кириллица हिन्दी 中文",
    "emoji 😀🙂 outside the BMP", "nul \x00 and \x01 control",
    'looks like a key: {"text": "no"}', "trailing backslash \\",
]


@pytest.mark.parametrize("ensure_ascii", [False, True])
def test_text_field_decodes_like_json(ensure_ascii):
  lines = [json.dumps({"text": t, "url": "u"}, ensure_ascii=ensure_ascii)
           for t in TRICKY_TEXTS]
  assert _decode(lines) == TRICKY_TEXTS


def test_text_field_found_in_any_position_not_inside_strings():
  lines = [
      json.dumps({"url": 'x", "text": "decoy', "text": "real"}),
      json.dumps({"timestamp": "t", "text": "second", "url": "u"}),
      '{ "text" : "spaced" }',
  ]
  assert _decode(lines) == ["real", "second", "spaced"]


def test_lone_surrogates_become_replacement_characters():
  assert _decode(['{"text": "a\\ud800b\\udc00"}']) == ["a\ufffdb\ufffd"]


def test_bad_line_names_file_and_line(tmp_path):
  path = tmp_path / "mc4" / "c4-de.tfrecord-00000-of-00001.json.gz"
  path.parent.mkdir()
  with gzip.open(path, "wt") as f:
    f.write('{"text": "ok"}\n{"url": "no text here"}\n')
  ds = mc4.read_json_lines_file(tf.constant(str(path)))
  with pytest.raises(tf.errors.InvalidArgumentError,
                     match=r"c4-de.tfrecord.*line\] \[2\]"):
    list(ds)


# --- File tasks ----------------------------------------------------------------


def _ids(text):
  return [b + 3 for b in text.encode("utf-8")]


def _reconstruct(inputs, targets):
  spans, expected = [], SENTINEL_START
  for token in targets:
    if token == expected:
      spans.append([])
      expected -= 1
    elif token != 1:  # EOS.
      spans[-1].append(token)
  out, expected = [], SENTINEL_START
  for token in inputs:
    if token == expected:
      out.extend(spans[SENTINEL_START - token])
      expected -= 1
    elif token != 1:
      out.append(token)
  return out


def test_file_task_streams_and_corrupts_every_byte(tmp_path):
  texts = [f"Dokument {i}: " + "Größe und Übung. " * (i * 7)
           for i in range(30)]
  _write_language(tmp_path, "de", texts)
  task = mc4.register_language_task("de", "files", str(tmp_path),
                                    prefix="test_mc4")
  assert task.name == "test_mc4.de"
  lengths = {"inputs": 128,
             "targets": span_corruption.targets_length_for(128)}
  examples = list(task.get_dataset(lengths, split="train", shuffle=False,
                                   seed=0).as_numpy_iterator())
  rebuilt = []
  for ex in examples:
    assert len(ex["inputs"]) <= 128 and len(ex["targets"]) <= lengths[
        "targets"]
    assert ex["inputs"][-1] == 1 and ex["targets"][-1] == 1  # EOS.
    rebuilt.extend(_reconstruct(ex["inputs"], ex["targets"]))
  assert rebuilt == _ids("".join(texts))
  validation = list(task.get_dataset(lengths, split="validation",
                                     shuffle=False))
  assert len(validation) == 1


def test_missing_language_names_expected_pattern(tmp_path):
  task = mc4.register_language_task("fr", "files", str(tmp_path),
                                    prefix="test_mc4")
  with pytest.raises(FileNotFoundError,
                     match=r"'fr'.*mc4/c4-fr\.tfrecord-\*-of-\*\.json\.gz"):
    task.get_dataset({"inputs": 128, "targets": 30}, split="train")


def test_hyphenated_codes_get_valid_task_names(tmp_path):
  task = mc4.register_language_task("bg-Latn", "files", str(tmp_path),
                                    prefix="test_mc4")
  assert task.name == "test_mc4.bg_Latn"
  with pytest.raises(FileNotFoundError, match="c4-bg-Latn.tfrecord"):
    task.get_dataset({"inputs": 128, "targets": 30}, split="train")


# --- Mixtures and rates --------------------------------------------------------


def test_family_mixture_rates_follow_size_power_alpha(tmp_path,
                                                      isolated_families):
  del isolated_families
  _write_language(tmp_path, "de", ["kurz"] * 10)
  _write_language(tmp_path, "ru", ["длинный текст " * 50] * 200)
  mixture = mc4.register_family_mixture(
      "test_fam", ["de", "fr", "ru"], alpha=0.3, source_kind="files",
      data_dir=str(tmp_path), prefix="test_mc4")
  size = {lang: os.path.getsize(
      tmp_path / "mc4" / f"c4-{lang}.tfrecord-00000-of-00001.json.gz")
          for lang in ("de", "ru")}
  rates = mc4.family_rates("test_fam", prefix="test_mc4")
  assert set(rates) == {"test_mc4.de", "test_mc4.ru"}
  assert rates["test_mc4.de"] + rates["test_mc4.ru"] == pytest.approx(1)
  assert rates["test_mc4.ru"] / rates["test_mc4.de"] == pytest.approx(
      (size["ru"] / size["de"]) ** 0.3)
  table = mc4.family_rate_table("test_fam", prefix="test_mc4")
  assert [(r.lang, r.size is None) for r in table] == [
      ("de", False), ("fr", True), ("ru", False)]
  # The mixture leaves the language without files out and still iterates.
  assert [t.name for t in mixture.tasks] == ["test_mc4.de", "test_mc4.ru"]
  ds = mixture.get_dataset({"inputs": 64, "targets": 20}, seed=1)
  assert len(list(ds.take(20))) == 20


def test_alpha_and_document_counts_are_configurable(tmp_path,
                                                    isolated_families):
  del isolated_families
  _write_language(tmp_path, "de", ["a"] * 10)
  _write_language(tmp_path, "ru", ["b"] * 40)
  mc4.register_family_mixture(
      "test_fam", ["de", "ru"], alpha=1.0, size_measure=mc4.SIZE_DOCUMENTS,
      source_kind="files", data_dir=str(tmp_path), prefix="test_mc4")
  rates = mc4.family_rates("test_fam", prefix="test_mc4")
  assert rates == pytest.approx({"test_mc4.de": 0.2, "test_mc4.ru": 0.8})
  with pytest.raises(ValueError, match="alpha"):
    mc4.register_family_mixture("test_fam", alpha=0)


def test_every_family_gets_a_mixture_and_registration_is_offline(
    monkeypatch):
  def no_io(*args, **kwargs):
    raise AssertionError(f"registration touched storage: {args}")
  monkeypatch.setattr(tf.io.gfile, "glob", no_io)
  monkeypatch.setattr(seqio.utils.LazyTfdsLoader, "size", no_io)
  monkeypatch.setattr(seqio.utils.LazyTfdsLoader, "info", property(no_io))
  for kind, data_dir in (("tfds", None), ("files", "gs://no-such-bucket/d")):
    names = mc4.register_pretraining_tasks(kind, data_dir)
    for lang in languages.MC4_LANGUAGES:
      assert mc4.task_name(lang) in names
    for family in languages.families():
      assert mc4.mixture_name(family) in names
      assert isinstance(seqio.get_mixture_or_task(mc4.mixture_name(family)),
                        mc4.FamilyMixture)


def test_tfds_source_and_rates_from_tfds_sizes(monkeypatch,
                                               isolated_families):
  del isolated_families
  sizes = {"el": 1000, "en": 100_000}
  monkeypatch.setattr(seqio.utils.LazyTfdsLoader, "size",
                      lambda self, split: sizes[self._split_map[split]])
  mixture = mc4.register_family_mixture(
      "test_tfds_pair", ["el", "en"], source_kind="tfds", prefix="test_tfds")
  source = seqio.get_mixture_or_task("test_tfds.el").source
  assert source.tfds_dataset.name == mc4.TFDS_NAME
  assert source.tfds_dataset._split_map == {  # pylint: disable=protected-access
      "train": "el", "validation": "el-validation"}
  rates = mc4.family_rates("test_tfds_pair", prefix="test_tfds")
  assert rates["test_tfds.en"] / rates["test_tfds.el"] == pytest.approx(
      100 ** 0.3)
  # seqio evaluates the same callable rates when it samples.
  el_task = seqio.get_mixture_or_task("test_tfds.el")
  assert mixture.get_rate(el_task) == pytest.approx(1000 ** 0.3)


# --- Real data -----------------------------------------------------------------


@pytest.mark.data
def test_european_mixture_on_real_data(real_data_dir):
  mixture = mc4.register_family_mixture(
      "european", source_kind="files", data_dir=str(real_data_dir),
      prefix="test_real")
  present = {t.name.split(".")[1] for t in mixture.tasks}
  assert present == {"de", "el", "en", "es", "ro", "ru"}
  lengths = {"inputs": 1024, "targets": 189}
  ds = mixture.get_dataset(lengths, split="train", seed=0, num_epochs=1)
  examples = list(ds.take(300).as_numpy_iterator())
  assert len(examples) == 300
  assert max(len(e["inputs"]) for e in examples) == 1024
  assert max(len(e["targets"]) for e in examples) <= 189
  converter = seqio.EncDecFeatureConverter(pack=True)
  packed = converter(mixture.get_dataset(lengths, seed=0, num_epochs=1),
                     lengths)
  batch = next(packed.as_numpy_iterator())
  assert batch["encoder_input_tokens"].shape == (1024,)
  assert batch["decoder_target_tokens"].shape == (189,)
