"""Tests for byt5_tasks.noised: the preprocessor, registration and caching.

The tasks here are tiny QA-shaped tasks defined in the test (the real QA tasks
live elsewhere), built the way a T5X project outside this package would.
"""
import json
import os
import random

import numpy as np
import pytest
import seqio
import tensorflow as tf

from byt5_tasks import batched_map
from byt5_tasks import noise
from byt5_tasks import noised
from byt5_tasks import vocab

_QUESTIONS = [
    ("q0", "What is the capital of Spain?", "Madrid is the capital of Spain.",
     ["Madrid"]),
    ("q1", "¿Dónde está Köln?", "Köln liegt am Rhein, in Deutschland.",
     ["am Rhein"]),
    ("q2", "Πού είναι η Αθήνα;", "Η Αθήνα είναι στην Ελλάδα.", ["στην Ελλάδα"]),
    ("q3", "Где Москва?", "Москва находится в России.", ["в России"]),
    ("q4", "दिल्ली कहाँ है?", "दिल्ली भारत में है।", ["भारत"]),
    ("q5", "北京在哪里？", "北京在中国。", ["中国"]),
    ("q6", "İzmir nerede?", "İzmir Türkiye'nin batısında, ılık bir kent.",
     ["batısında"]),
    ("q7", "", "An empty question.", ["empty"]),
]


def _examples(with_id=True):
  rows = []
  for qid, question, context, answers in _QUESTIONS:
    row = {"question": question, "context": context, "answers": answers,
           "lang": "xx", "title": "t"}
    if with_id:
      row["id"] = qid
    rows.append(row)
  return rows


def _dataset_fn(split, shuffle_files, seed=None, with_id=True):
  del split, shuffle_files, seed
  rows = _examples(with_id)
  columns = {k: [r[k] for r in rows] for k in rows[0] if k != "answers"}
  columns["answers"] = tf.ragged.constant([r["answers"] for r in rows])
  return tf.data.Dataset.from_tensor_slices(columns)


def _format_qa(dataset):
  """Like the package's QA formatting: markers, question, context, answer."""
  def fmt(ex):
    return {**ex,
            "inputs": tf.strings.join(["question: ", ex["question"],
                                       " context: ", ex["context"]]),
            "targets": ex["answers"][0]}
  return dataset.map(fmt)


def _add_task(name, with_id=True):
  seqio.TaskRegistry.remove(name)
  return seqio.TaskRegistry.add(
      name,
      source=seqio.FunctionDataSource(
          lambda split, shuffle_files, seed=None: _dataset_fn(
              split, shuffle_files, seed, with_id),
          splits=("train", "validation")),
      preprocessors=[
          _format_qa,
          seqio.preprocessors.tokenize,
          seqio.CacheDatasetPlaceholder(),
          seqio.preprocessors.append_eos_after_trim,
      ],
      output_features=vocab.byte_output_features(),
      metric_fns=[])


def _by_id(ds, key=lambda ex: ex["id"].decode()):
  return {key(ex): ex for ex in ds.as_numpy_iterator()}


def _first_answer(ex):
  return ex["answers"][0].decode()


def _text(ex, feature):
  return ex[feature].decode("utf-8")


@pytest.fixture
def tiny_task(request):
  name = "noise_test_" + request.node.name.replace("[", "_").replace("]", "")
  name = "".join(c if c.isalnum() or c in "_." else "_" for c in name)
  task = _add_task(name)
  yield task
  for registry in (seqio.TaskRegistry, seqio.MixtureRegistry):
    for n in [n for n in registry.names() if n.startswith(name)]:
      registry.remove(n)


def _get(name, split="validation", **kwargs):
  kwargs.setdefault("shuffle", False)
  kwargs.setdefault("num_epochs", 1)  # Mixtures repeat forever by default.
  return seqio.get_mixture_or_task(name).get_dataset(
      sequence_length=None, split=split, **kwargs)


# ------------------------------- the variants ---------------------------------


def test_register_returns_one_variant_per_scheme(tiny_task):
  names = noised.register_noised_variants(tiny_task.name)
  assert names == [f"{tiny_task.name}.noise_{s}" for s in noise.ALL_SCHEMES]
  for name in names:
    assert name in seqio.TaskRegistry.names()


def test_noise_is_first_and_before_the_cache_placeholder(tiny_task):
  name, = noised.register_noised_variants(tiny_task.name, schemes=["drop"])
  preprocessors = seqio.TaskRegistry.get(name).preprocessors
  assert preprocessors[0].func is noised.noise_features
  assert list(preprocessors[1:]) == list(tiny_task.preprocessors)
  assert seqio.TaskRegistry.get(name).supports_caching


@pytest.mark.parametrize("scheme", noise.ALL_SCHEMES)
def test_fields_noised_markers_and_targets_clean(tiny_task, scheme):
  name, = noised.register_noised_variants(tiny_task.name, schemes=[scheme])
  clean, noisy = _by_id(_get(tiny_task.name)), _by_id(_get(name))
  assert clean.keys() == noisy.keys()
  changed = 0
  for qid, ex in noisy.items():
    question, context = _text(ex, "question"), _text(ex, "context")
    # Inputs are built from the noised fields, with clean markers.
    expected_inputs = f"question: {question} context: {context}"
    assert vocab.BYTE_VOCAB.decode(ex["inputs"].tolist()[:-1]) == expected_inputs
    np.testing.assert_array_equal(ex["targets"], clean[qid]["targets"])
    np.testing.assert_array_equal(ex["answers"], clean[qid]["answers"])
    assert ex["id"] == clean[qid]["id"]
    changed += (question, context) != (_text(clean[qid], "question"),
                                       _text(clean[qid], "context"))
  assert changed > 0


def test_case_noise_leaves_caseless_examples_alone(tiny_task):
  name, = noised.register_noised_variants(tiny_task.name,
                                          schemes=["uppercase"])
  clean, noisy = _by_id(_get(tiny_task.name)), _by_id(_get(name))
  for qid in ("q4", "q5"):  # Devanagari, Chinese.
    assert _text(noisy[qid], "context") == _text(clean[qid], "context")
  assert _text(noisy["q6"], "question") == "İZMIR NEREDE?"


def test_same_noise_in_any_order_shard_and_run(tiny_task):
  name, = noised.register_noised_variants(tiny_task.name, schemes=["drop"],
                                          scheme_params={"drop": {"rate": 0.3}})
  reference = _by_id(_get(name))
  shuffled = _by_id(_get(name, shuffle=True, seed=123))
  sharded = {}
  for index in range(3):
    sharded.update(_by_id(_get(
        name, shard_info=seqio.ShardInfo(index=index, num_shards=3))))
  for other in (shuffled, sharded, _by_id(_get(name))):
    assert {k: _text(v, "context") for k, v in other.items()} == {
        k: _text(v, "context") for k, v in reference.items()}


def test_question_and_context_get_independent_noise(tiny_task):
  seqio.TaskRegistry.remove(tiny_task.name + "_twin")
  twin = seqio.TaskRegistry.add(
      tiny_task.name + "_twin", source=seqio.FunctionDataSource(
          lambda split, shuffle_files, seed=None: _dataset_fn(
              split, shuffle_files).map(
                  lambda ex: {**ex, "question": ex["context"]}),
          splits=("validation",)),
      preprocessors=tiny_task.preprocessors, output_features=tiny_task.output_features)
  name, = noised.register_noised_variants(twin.name, schemes=["drop"],
                                          scheme_params={"drop": {"rate": 0.5}})
  ex = _by_id(_get(name))["q0"]
  assert _text(ex, "question") != _text(ex, "context")


def test_seed_fields_and_params_are_honoured(tiny_task):
  base = tiny_task.name
  a, = noised.register_noised_variants(base, schemes=["random_case"])
  seqio.TaskRegistry.add(
      base + "_s1", source=tiny_task.source,
      preprocessors=tiny_task.preprocessors,
      output_features=tiny_task.output_features)
  b, = noised.register_noised_variants(base + "_s1", schemes=["random_case"],
                                       seed=1, fields=["context"])
  c, = noised.register_noised_variants(
      base + "_s1", schemes=["drop"], scheme_params={"drop": {"rate": 0.0}})
  clean, va, vb, vc = (_by_id(_get(n)) for n in (base, a, b, c))
  assert [_text(vb[k], "question") for k in clean] == [
      _text(clean[k], "question") for k in clean]
  assert [_text(va[k], "context") for k in clean] != [
      _text(vb[k], "context") for k in clean]
  assert [_text(vc[k], "context") for k in clean] == [
      _text(clean[k], "context") for k in clean]


def test_content_key_when_key_feature_is_missing(tiny_task):
  task = _add_task(tiny_task.name + "_noid", with_id=False)
  name, = noised.register_noised_variants(task.name, schemes=["drop"],
                                          scheme_params={"drop": {"rate": 0.3}})
  first = _by_id(_get(name), key=_first_answer)
  again = _by_id(_get(name, shuffle=True, seed=5), key=_first_answer)
  clean = _by_id(_get(task.name), key=_first_answer)
  assert first.keys() == again.keys() == clean.keys()
  assert {k: _text(v, "context") for k, v in first.items()} == {
      k: _text(v, "context") for k, v in again.items()}
  assert any(_text(first[k], "context") != _text(clean[k], "context")
             for k in clean)


def test_errors_name_the_problem(tiny_task):
  name, = noised.register_noised_variants(tiny_task.name, schemes=["drop"],
                                          fields=["question", "passage"])
  with pytest.raises(ValueError, match=r"no feature\(s\) \['passage'\]"):
    _get(name)
  with pytest.raises(ValueError, match="scalar tf.string"):
    noised.noise_features(_dataset_fn("validation", False), scheme="drop",
                          fields=["answers"])
  with pytest.raises(ValueError, match="no seqio task or mixture"):
    noised.register_noised_variants("no_such_task_anywhere")
  with pytest.raises(ValueError, match="no parameter"):
    noised.register_noised_variants(tiny_task.name, schemes=["drop"],
                                    scheme_params={"drop": {"p": 0.2}})


def test_invalid_utf8_names_the_example():
  ds = tf.data.Dataset.from_tensors(
      {"id": tf.constant("bad-42"), "question": tf.constant(b"ok"),
       "context": tf.constant(b"caf\xe9")})
  ds = noised.noise_features(ds, scheme="uppercase")
  with pytest.raises(tf.errors.InvalidArgumentError,
                     match=r"\[noise: example\] \[bad-42\] \[has a field "
                           r"among \(question, context\) that is not valid "
                           r"UTF-8"):
    list(ds.as_numpy_iterator())


def test_a_field_holding_the_field_separator_is_rejected():
  ds = tf.data.Dataset.from_tensors(
      {"id": tf.constant("sep-7"), "question": tf.constant("a\x1fb"),
       "context": tf.constant("fine")})
  ds = noised.noise_features(ds, scheme="drop")
  with pytest.raises(tf.errors.InvalidArgumentError,
                     match=r"\[noise: example\] \[sep-7\] \[has a field "
                           r"among \(question, context\) .*holds U\+001F"):
    list(ds.as_numpy_iterator())


def test_same_output_without_tf_datas_internals(monkeypatch):
  # map_inline builds tf.data's map dataset from internals; where a TF
  # version differs, Dataset.map must give the same examples.
  ds = tf.data.Dataset.from_tensor_slices(
      {"id": [f"q{i}" for i in range(20)],
       "question": ["Wo liegt Köln?"] * 20,
       "context": ["Köln liegt am Rhein. ΣΑΣ ß İ 你好"] * 20})
  def run():
    return [(ex["question"], ex["context"]) for ex in noised.noise_features(
        ds, scheme="add_drop_mutate", params={"rate": 0.3},
        batch_size=8).as_numpy_iterator()]
  inline = run()
  refused = []

  def internals_differ(dataset, fn):
    refused.append(True)
    raise AttributeError("module has no attribute 'map_dataset'")

  monkeypatch.setattr(batched_map, "_inline_map_dataset", internals_differ)
  assert run() == inline
  assert refused  # The fallback was taken.
  assert len(set(inline)) > 10  # The examples were noised differently.


def test_output_does_not_depend_on_the_batch_size():
  ds = tf.data.Dataset.from_tensor_slices(
      {"id": [f"q{i}" for i in range(11)],
       "question": [f"Frage {i}?" for i in range(11)],
       "context": ["Köln liegt am Rhein. ΣΑΣ ß İ 你好" * (i % 4) for i in range(11)]})
  for scheme in noise.ALL_SCHEMES:
    runs = [list(noised.noise_features(ds, scheme=scheme, batch_size=size)
                 .as_numpy_iterator()) for size in (1, 4, 64)]
    assert runs[0] == runs[1] == runs[2], scheme


@pytest.mark.parametrize("scheme", noise.ALL_SCHEMES)
def test_fields_keep_their_boundaries_and_empty_fields_stay_empty(scheme):
  ds = tf.data.Dataset.from_tensor_slices(
      {"id": ["a", "b", "c", "d"], "question": ["", "Wer?", "", "Wo ist Köln?"],
       "context": ["Ein Text.", "", "", "Köln liegt am Rhein."],
       "title": ["t", "t", "t", "t"]})
  out = list(noised.noise_features(ds, scheme=scheme, fields=(
      "question", "context", "title"), params={"rate": 0.5} if "rate" in
      noise.SCHEMES[scheme].defaults else None).as_numpy_iterator())
  assert [ex["id"] for ex in out] == [b"a", b"b", b"c", b"d"]
  assert out[0]["question"] == out[1]["context"] == b""
  assert out[2]["question"] == out[2]["context"] == b""
  if scheme == "antspeak":
    assert [ex["title"] for ex in out] == [b" T "] * 4
    assert out[1]["question"] == " W E R ? ".encode()
    assert out[3]["context"] == " K Ö L N   L I E G T   A M   R H E I N . ".encode()
  for ex in out:
    for field in ("question", "context", "title"):
      assert b"\x1f" not in ex[field]
      ex[field].decode("utf-8")


@pytest.mark.parametrize("scheme", noise.ALL_SCHEMES)
def test_valid_text_with_a_replacement_character_passes(scheme):
  ds = tf.data.Dataset.from_tensor_slices(
      {"id": ["a", "b"], "question": ["ok", "x\ufffdy"],
       "context": ["\ufffd", "fine"]})
  out = list(noised.noise_features(ds, scheme=scheme).as_numpy_iterator())
  assert [ex["id"] for ex in out] == [b"a", b"b"]


def test_reregistering_the_same_recipe_is_a_no_op_other_recipe_conflicts(
    tiny_task):
  first = noised.register_noised_variants(tiny_task.name, schemes=["drop"])
  assert noised.register_noised_variants(tiny_task.name,
                                         schemes=["drop"]) == first
  with pytest.raises(ValueError, match="already registered"):
    noised.register_noised_variants(tiny_task.name, schemes=["drop"], seed=3)
  noised.register_noised_variants(tiny_task.name, schemes=["drop"], seed=3,
                                  overwrite=True)


def test_variant_follows_a_re_registered_base(tiny_task):
  name, = noised.register_noised_variants(tiny_task.name, schemes=["drop"])
  old_variant = seqio.TaskRegistry.get(name)
  # The QA registry replaces tasks this way (remove, then add).
  _add_task(tiny_task.name, with_id=False)
  assert noised.register_noised_variants(tiny_task.name,
                                         schemes=["drop"]) == [name]
  assert seqio.TaskRegistry.get(name) is not old_variant
  assert "id" not in next(_get(name).as_numpy_iterator())


# -------------------------------- mixtures ------------------------------------


def test_mixture_variant_has_noised_subtasks_and_same_rates(tiny_task):
  other = _add_task(tiny_task.name + "_b")
  mix = tiny_task.name + "_mix"
  seqio.MixtureRegistry.add(mix, [(tiny_task.name, 2.0), (other.name, 1.0)])
  names = noised.register_noised_variants(mix, schemes=["drop", "uppercase"])
  assert names == [
      f"{tiny_task.name}.noise_drop", f"{other.name}.noise_drop",
      f"{mix}.noise_drop",
      f"{tiny_task.name}.noise_uppercase", f"{other.name}.noise_uppercase",
      f"{mix}.noise_uppercase"]
  noisy_mix = seqio.MixtureRegistry.get(f"{mix}.noise_drop")
  assert dict(noisy_mix.rate_per_task_name) == {
      f"{tiny_task.name}.noise_drop": 2.0, f"{other.name}.noise_drop": 1.0}
  # A task shared with another mixture is reused, not registered twice.
  seqio.MixtureRegistry.add(mix + "2", [tiny_task.name], default_rate=1.0)
  assert noised.register_noised_variants(mix + "2", schemes=["drop"]) == [
      f"{tiny_task.name}.noise_drop", f"{mix}2.noise_drop"]


def test_eval_mixture_covers_clean_and_every_scheme(tiny_task):
  other = _add_task(tiny_task.name + "_b")
  names = noised.register_noise_eval_mixture(
      tiny_task.name + "_eval", [tiny_task.name, other.name])
  assert names[-1] == tiny_task.name + "_eval"
  members = {t.name for t in seqio.MixtureRegistry.get(names[-1]).tasks}
  assert members == {tiny_task.name, other.name} | {
      noised.noised_name(t, s) for t in (tiny_task.name, other.name)
      for s in noise.ALL_SCHEMES}
  # Registering again (a module imported twice) rebuilds it.
  assert noised.register_noise_eval_mixture(
      tiny_task.name + "_eval", [tiny_task.name, other.name]) == names
  with pytest.raises(ValueError, match="already registered"):
    noised.register_noise_eval_mixture(tiny_task.name, [other.name])


def test_learnable_noise_variants_of_a_training_mixture(tiny_task):
  mix = tiny_task.name + "_zeroshot"
  seqio.MixtureRegistry.add(mix, [tiny_task.name], default_rate=1.0)
  names = noised.register_learnable_noise_variants([mix, tiny_task.name],
                                                   schemes=["repetitions"])
  assert names == [f"{tiny_task.name}.noise_repetitions",
                   f"{mix}.noise_repetitions"]
  # A mixture passes on the model features only: compare the inputs.
  noisy = sorted(len(ex["inputs"]) for ex in _get(
      f"{mix}.noise_repetitions", split="train").as_numpy_iterator())
  clean = sorted(len(ex["inputs"]) for ex in _get(
      mix, split="train").as_numpy_iterator())
  assert len(noisy) == len(clean) == len(_QUESTIONS)
  assert sum(noisy) > sum(clean)


# --------------------------------- caching ------------------------------------


def _write_seqio_cache(task, split, cache_root, preprocessors_seed=1234):
  """Writes `task`'s cache as seqio's cache job does (beam_utils), minus beam.

  Per source shard: `source.get_dataset(shard_info, shuffle=False, seed)`,
  then `task.preprocess_precache(seed)`; examples are serialised with
  `seqio.dict_to_tfexample`, globally reshuffled, and written as
  `{split}.tfrecord-SSSSS-of-NNNNN` next to `info.{split}.json`,
  `stats.{split}.json` and `COMPLETED`.
  """
  out_dir = os.path.join(cache_root, seqio.get_task_dir_from_name(task.name))
  tf.io.gfile.makedirs(out_dir)
  shards = task.source.list_shards(split)
  examples = []
  for index, _ in enumerate(shards):
    seed = preprocessors_seed + index
    ds = task.source.get_dataset(
        split=split, shuffle=False, seed=seed,
        shard_info=seqio.ShardInfo(index=index, num_shards=len(shards)))
    examples += list(task.preprocess_precache(ds, seed=seed).as_numpy_iterator())
  random.Random(0).shuffle(examples)
  num_shards = 2
  for shard in range(num_shards):
    path = os.path.join(
        out_dir, f"{split}.tfrecord-{shard:05d}-of-{num_shards:05d}")
    with tf.io.TFRecordWriter(path) as writer:
      for ex in examples[shard::num_shards]:
        writer.write(seqio.dict_to_tfexample(ex).SerializeToString())
  features = {}
  for k, v in examples[0].items():
    t = tf.constant(v)
    shape = t.shape.as_list()
    features[k] = {"shape": [None] + shape[1:] if shape else [],
                   "dtype": t.dtype.name}
  with open(os.path.join(out_dir, f"info.{split}.json"), "w") as f:
    json.dump({"num_shards": num_shards, "features": features,
               "seqio_version": seqio.__version__}, f)
  with open(os.path.join(out_dir, f"stats.{split}.json"), "w") as f:
    json.dump({"examples": len(examples)}, f)
  with open(os.path.join(out_dir, "COMPLETED"), "w") as f:
    f.write("")


def _assert_cached_equals_on_the_fly(name):
  task = seqio.TaskRegistry.get(name)
  assert task.cache_dir, f"{name} was not found in the seqio cache"
  cached = _by_id(task.get_dataset(None, "validation", use_cached=True,
                                   shuffle=False))
  fresh = _by_id(task.get_dataset(None, "validation", use_cached=False,
                                  shuffle=False))
  assert cached.keys() == fresh.keys() == {q[0] for q in _QUESTIONS}
  for qid, ex in fresh.items():
    assert cached[qid].keys() == ex.keys()
    for feature, value in ex.items():
      np.testing.assert_array_equal(cached[qid][feature], value,
                                    err_msg=f"{qid}/{feature}")


@pytest.mark.parametrize("scheme", ["add_drop_mutate", "random_case"])
def test_cached_variant_yields_the_on_the_fly_examples(tiny_task, tmp_path,
                                                       scheme):
  name, = noised.register_noised_variants(tiny_task.name, schemes=[scheme])
  _write_seqio_cache(seqio.TaskRegistry.get(name), "validation", str(tmp_path))
  seqio.add_global_cache_dirs([str(tmp_path)])
  _assert_cached_equals_on_the_fly(name)
  # And the cache really holds noised text.
  clean = _by_id(_get(tiny_task.name))
  cached = _by_id(seqio.TaskRegistry.get(name).get_dataset(
      None, "validation", use_cached=True, shuffle=False))
  assert any(_text(cached[k], "context") != _text(clean[k], "context")
             for k in clean)


def test_cached_by_seqio_beam_cache_job(tiny_task, tmp_path):
  """The same check through seqio's own beam cache writer, when installed."""
  beam = pytest.importorskip("apache_beam")
  beam_utils = pytest.importorskip("seqio.beam_utils")
  name, = noised.register_noised_variants(tiny_task.name, schemes=["drop"])
  task = seqio.TaskRegistry.get(name)
  out_dir = os.path.join(str(tmp_path), seqio.get_task_dir_from_name(name))
  split = "validation"
  with beam.Pipeline() as pipeline:
    examples = (pipeline
                | beam_utils.PreprocessTask(task, split, preprocessors_seed=7)
                | beam.Reshuffle())
    _ = examples | beam_utils.WriteExampleTfRecord(
        seqio.utils.get_cached_tfrecord_prefix(out_dir, split), num_shards=2)
    _ = (examples | beam_utils.GetInfo(num_shards=2)
         | "info" >> beam_utils.WriteJson(
             seqio.utils.get_cached_info_path(out_dir, split)))
    _ = (examples | beam_utils.GetStats(task.output_features)
         | "stats" >> beam_utils.WriteJson(
             seqio.utils.get_cached_stats_path(out_dir, split)))
  with open(os.path.join(out_dir, "COMPLETED"), "w") as f:
    f.write("")
  seqio.add_global_cache_dirs([str(tmp_path)])
  _assert_cached_equals_on_the_fly(name)


# -------------------------------- real data -----------------------------------


@pytest.mark.data
def test_xquad_variants_on_the_real_data(real_data_dir):
  del real_data_dir  # The tasks read $BYT5_TASKS_DATA_DIR.
  import byt5_tasks.tasks  # pylint: disable=g-import-not-at-top,unused-import
  for lang in ("de", "zh"):
    noised.register_noised_variants(f"byt5_xquad_test.{lang}",
                                    schemes=["drop", "uppercase"])

  def contexts(name):
    return {k: _text(v, "context") for k, v in _by_id(_get(name, "test")).items()}

  clean_zh = contexts("byt5_xquad_test.zh")
  assert len(clean_zh) == 1190
  upper_zh = contexts("byt5_xquad_test.zh.noise_uppercase")
  assert upper_zh == {k: c.upper() for k, c in clean_zh.items()}
  # Chinese has no case; only embedded Latin names change (a few percent of
  # characters), which is what a report of "uppercase" on zh must say.
  text = "".join(set(clean_zh.values()))
  changed = sum(a != b for a, b in zip(text, text.upper()))
  assert 0 < changed / len(text) < 0.03
  clean_de = contexts("byt5_xquad_test.de")
  dropped = contexts("byt5_xquad_test.de.noise_drop")
  unique = {c: dropped[k] for k, c in clean_de.items()}  # One per paragraph.
  rate = 1 - sum(map(len, unique.values())) / sum(map(len, unique))
  assert abs(rate - 0.1) < 0.01
