"""Noised variants of registered seqio tasks and mixtures.

`register_noised_variants("some_task")` registers `some_task.noise_{scheme}`
for each scheme: the same task with one extra preprocessor, inserted first,
that corrupts the given string features (default: `question` and `context`)
right after the source. Everything after it -- formatting, tokenization,
`seqio.CacheDatasetPlaceholder`, metrics -- is the original task's, so:
- the fixed markers and the targets that formatting builds stay clean;
- seqio's cache job materialises the corrupted examples (the noise runs
  before the placeholder);
- noise depends only on (seed, scheme, example key, the fields' text), never
  on seqio's seeds, shard layout or order, so cached and on-the-fly data
  agree.

The preprocessor noises batches of 256 examples (`batched_map`), all fields
of an example in one text (joined by `noise.FIELD_SEPARATOR`) and the whole
batch in one pass (`text_batch`): the noise is a few dozen small ops, whose
fixed cost per run would otherwise exceed their work. Every other feature
comes out as it went in, in the same order.

The example key is the `key_feature` (default `id`, the question id of the QA
tasks). A task without that feature is keyed by the content of the fields to
be noised (their clean text, hashed), so identical texts get identical noise.

The paper's two settings map onto names like this:
- "unseen" noise: fine-tune on the clean task or mixture and evaluate the
  `.noise_{scheme}` eval tasks; `register_noise_eval_mixture` gathers clean and
  all noised variants so one T5X eval run covers them all;
- "learnable" noise: fine-tune and evaluate on `{mixture}.noise_{scheme}`
  (`register_learnable_noise_variants`). Each training example is corrupted the
  same way in every epoch, exactly as a seqio cache of the variant would be.
"""
import dataclasses
import functools
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from absl import logging
import seqio
import tensorflow as tf

from byt5_tasks import batched_map
from byt5_tasks import noise
from byt5_tasks import utf8_ops

DEFAULT_FIELDS: Tuple[str, ...] = ("question", "context")
DEFAULT_KEY_FEATURE = "id"
ALL_SCHEMES = noise.ALL_SCHEMES

SchemeParams = Mapping[str, Mapping[str, Any]]


def noised_name(name: str, scheme: str) -> str:
  """The registry name of the `scheme` variant of task or mixture `name`."""
  return f"{name}.noise_{scheme}"


# ------------------------------ preprocessor ----------------------------------


def _example_key(ex: Mapping[str, tf.Tensor], fields: Sequence[str],
                 key_feature: Optional[str]) -> tf.Tensor:
  """String(s) naming the example(s), for seeding and error messages."""
  if key_feature:
    key = ex[key_feature]
    return key if key.dtype == tf.string else tf.strings.as_string(key)
  # Content key: the clean text of the noised fields.
  return tf.strings.join(
      [tf.strings.join([f, ex[f]], separator="=") for f in fields],
      separator="\x1e")


def _field_error(ok: tf.Tensor, names: Sequence[str], keys: tf.Tensor
                 ) -> List[tf.Tensor]:
  """The error naming the examples (not `ok`) and fields that cannot be noised.

  `keys` name the examples of the batch; `ok` says which passed the check
  (`noise.NoiseScheme.noise_fields`).
  """
  bad_keys = utf8_ops.gather(keys, utf8_ops.where(tf.logical_not(ok)))
  problem = (f"has a field among ({', '.join(names)}) that is not valid "
             "UTF-8 or holds U+001F (the character that joins the fields for "
             "noising)")
  return ["noise: example", bad_keys, problem]


def noise_features(dataset: tf.data.Dataset,
                   *,
                   scheme: str,
                   noise_seed: int = 0,
                   fields: Sequence[str] = DEFAULT_FIELDS,
                   key_feature: Optional[str] = DEFAULT_KEY_FEATURE,
                   params: Optional[Mapping[str, Any]] = None,
                   batch_size: int = 256) -> tf.data.Dataset:
  """seqio preprocessor: corrupts the scalar string `fields` with `scheme`.

  Args:
    dataset: examples with scalar `tf.string` features named in `fields`.
    scheme: a name from `noise.SCHEMES`.
    noise_seed: the run seed (called `noise_seed` so seqio does not take this
      for one of its own seeded preprocessors).
    fields: the features to corrupt. They are noised as one text joined by
      `noise.FIELD_SEPARATOR` (one stream of draws per example and scheme),
      so each field's noise also depends on the fields before it.
    key_feature: the feature that names an example (int or string). If the
      examples lack it, the clean content of `fields` is the key.
    params: overrides of the scheme's defaults, e.g. {"rate": 0.05}.
    batch_size: examples noised together (`batched_map.map_in_batches`);
      the output does not depend on it. Larger batches spread the ops' fixed
      cost and, in a seqio pipeline, hand downstream maps longer runs of
      examples (fewer thread switches on a busy core); the batch's working
      memory is tens of bytes (per-byte draws and indices) per byte of its
      noised text.

  Returns:
    The dataset with `fields` replaced by their noised text; all other
    features and the order of examples untouched.
  """
  spec = noise.get_scheme(scheme)
  resolved = spec.params(params)
  fields = tuple(fields)
  if not fields:
    raise ValueError("noise_features needs at least one field to corrupt")
  element_spec = dataset.element_spec
  missing = [f for f in fields if f not in element_spec]
  if missing:
    raise ValueError(
        f"noise {scheme!r}: the examples have no feature(s) {missing} to "
        f"corrupt; they have {sorted(element_spec)}")
  for f in fields:
    s = element_spec[f]
    if s.dtype != tf.string or s.shape.rank != 0:
      raise ValueError(
          f"noise {scheme!r}: feature {f!r} must be a scalar tf.string, got "
          f"{s.dtype.name} of shape {s.shape}")
  use_key = bool(key_feature) and key_feature in element_spec
  if use_key and element_spec[key_feature].shape.rank != 0:
    raise ValueError(f"key feature {key_feature!r} must be a scalar, got "
                     f"shape {element_spec[key_feature].shape}")
  if not use_key:
    logging.info("noise %r: no %r feature; keying examples by the content of "
                 "%s", scheme, key_feature, fields)

  def corrupt(batch: Mapping[str, tf.Tensor]) -> Dict[str, tf.Tensor]:
    # The whole batch in one pass; see `noise.NoiseScheme.noise_fields`.
    keys = _example_key(batch, fields, key_feature if use_key else None)
    seeds = noise.example_seed(noise_seed, keys, scheme)
    noised = spec.noise_fields([batch[f] for f in fields], seeds, resolved,
                               lambda ok: _field_error(ok, fields, keys))
    return {**batch, **dict(zip(fields, noised))}

  return batched_map.map_in_batches(dataset, corrupt, batch_size)


# ------------------------------ registration ----------------------------------


@dataclasses.dataclass(frozen=True)
class _Variant:
  """What a registered variant was made from, to spot conflicting re-use."""
  base: str
  scheme: str
  seed: int
  fields: Tuple[str, ...]
  key_feature: Optional[str]
  params: Tuple[Tuple[str, Any], ...]


@dataclasses.dataclass(frozen=True)
class _Record:
  variant: _Variant
  base: Any  # The task or mixture object the variant was made from.
  provider: Any  # The task or mixture object registered for the variant.


_RECORDS: Dict[str, _Record] = {}
_EVAL_MIXTURES: Dict[str, seqio.Mixture] = {}


def _lookup(name: str) -> Any:
  if name in seqio.TaskRegistry.names():
    return seqio.TaskRegistry.get(name)
  if name in seqio.MixtureRegistry.names():
    return seqio.MixtureRegistry.get(name)
  return None


def _claim(name: str, variant: _Variant, base: Any, overwrite: bool,
           rebuild: bool = False) -> bool:
  """Whether `name` still has to be (re)registered for `variant` of `base`.

  A variant this module registered from the same object with the same recipe
  is reused (a task shared by several mixtures is noised once); if its base
  was re-registered since (or `rebuild`), it is rebuilt. Anything else under
  that name is a conflict unless `overwrite`.
  """
  existing = _lookup(name)
  if existing is None:
    return True
  record = _RECORDS.get(name)
  if record and record.provider is existing and record.variant == variant:
    if record.base is base and not rebuild:
      return False
  elif not overwrite:
    raise ValueError(
        f"{name!r} is already registered with a different definition; pass "
        "overwrite=True to replace it or choose another seed/fields/params")
  seqio.TaskRegistry.remove(name)
  seqio.MixtureRegistry.remove(name)
  return True


def _noise_task(task: seqio.Task, variant: _Variant, name: str,
                overwrite: bool) -> str:
  if _claim(name, variant, task, overwrite):
    preprocessor = functools.partial(
        noise_features, scheme=variant.scheme, noise_seed=variant.seed,
        fields=variant.fields, key_feature=variant.key_feature,
        params=dict(variant.params))
    # Reuses the original's parts; seqio keeps them as constructor args.
    provider = seqio.TaskRegistry.add(
        name,
        source=task.source,
        output_features=task.output_features,
        preprocessors=[preprocessor, *task._preprocessor_constructor_args],  # pylint: disable=protected-access
        postprocess_fn=task._postprocess_fn,  # pylint: disable=protected-access
        metric_fns=list(task._metric_fn_constructor_args),  # pylint: disable=protected-access
        metric_objs=list(task._metric_objs_constructor_args),  # pylint: disable=protected-access
        shuffle_buffer_size=task._shuffle_buffer_size)  # pylint: disable=protected-access
    _RECORDS[name] = _Record(variant, task, provider)
  return name


def _noise_provider(name: str, scheme: str, recipe: Dict[str, Any],
                    overwrite: bool, out: List[str]) -> str:
  """Registers the `scheme` variant of task or mixture `name` (recursively)."""
  variant = _Variant(base=name, scheme=scheme, **recipe)
  new_name = noised_name(name, scheme)
  if name in seqio.TaskRegistry.names():
    _noise_task(seqio.TaskRegistry.get(name), variant, new_name, overwrite)
  elif name in seqio.MixtureRegistry.names():
    mixture = seqio.MixtureRegistry.get(name)
    # Same structure and rates; sub-tasks and sub-mixtures noised alike.
    entries = [(_noise_provider(sub, scheme, recipe, overwrite, out), rate)
               for sub, rate in mixture.rate_per_task_name.items()]
    # Rebuilt every time: its sub-variants may have been rebuilt.
    if _claim(new_name, variant, mixture, overwrite, rebuild=True):
      provider = seqio.MixtureRegistry.add(
          new_name, entries, sample_fn=mixture._sample_fn)  # pylint: disable=protected-access
      _RECORDS[new_name] = _Record(variant, mixture, provider)
  else:
    raise ValueError(f"no seqio task or mixture named {name!r} is registered")
  if new_name not in out:
    out.append(new_name)
  return new_name


def _recipe(seed: int, fields: Sequence[str], key_feature: Optional[str],
            params: Optional[Mapping[str, Any]]) -> Dict[str, Any]:
  return dict(seed=seed, fields=tuple(fields), key_feature=key_feature,
              params=tuple(sorted((params or {}).items())))


def register_noised_variants(
    name: str,
    schemes: Sequence[str] = ALL_SCHEMES,
    seed: int = 0,
    fields: Sequence[str] = DEFAULT_FIELDS,
    key_feature: Optional[str] = DEFAULT_KEY_FEATURE,
    scheme_params: Optional[SchemeParams] = None,
    overwrite: bool = False,
) -> List[str]:
  """Registers `{name}.noise_{scheme}` for every scheme; returns their names.

  Works on any registered task, or mixture of tasks, whose source examples
  have the scalar string features `fields`. For a mixture, each sub-task (and
  sub-mixture) gets its noised variant and the mixture variant has the same
  rates. Variants this module registered before with the same recipe are
  reused, so tasks shared between mixtures are noised once.

  Args:
    name: a registered seqio task or mixture.
    schemes: names from `byt5_tasks.noise.SCHEMES`.
    seed: the run seed; with the example key it fixes every example's noise.
    fields: source features to corrupt (markers added later stay clean).
    key_feature: the feature naming each example; see `noise_features`.
    scheme_params: per-scheme overrides of the paper's defaults, e.g.
      {"drop": {"rate": 0.05}}.
    overwrite: replace existing registrations under the variant names.

  Returns:
    The names of all variants made or reused: sub-task variants first, then
    each mixture variant.
  """
  scheme_params = dict(scheme_params or {})
  unknown = sorted(set(scheme_params) - set(schemes))
  if unknown:
    raise ValueError(f"scheme_params for schemes not requested: {unknown}")
  for scheme in schemes:  # Fail before registering anything.
    noise.get_scheme(scheme).params(scheme_params.get(scheme))
  out: List[str] = []
  for scheme in schemes:
    recipe = _recipe(seed, fields, key_feature, scheme_params.get(scheme))
    _noise_provider(name, scheme, recipe, overwrite, out)
  return out


def _leaf_tasks(name: str) -> List[str]:
  if name in seqio.MixtureRegistry.names():
    return [t.name for t in seqio.MixtureRegistry.get(name).tasks]
  if name in seqio.TaskRegistry.names():
    return [name]
  raise ValueError(f"no seqio task or mixture named {name!r} is registered")


def register_noise_eval_mixture(
    mixture_name: str,
    eval_tasks: Sequence[str],
    schemes: Sequence[str] = ALL_SCHEMES,
    seed: int = 0,
    fields: Sequence[str] = DEFAULT_FIELDS,
    key_feature: Optional[str] = DEFAULT_KEY_FEATURE,
    scheme_params: Optional[SchemeParams] = None,
    include_clean: bool = True,
) -> List[str]:
  """Registers one mixture holding the clean and every noised eval task.

  "Unseen" noise: a model fine-tuned on clean data is evaluated on the
  mixture, and T5X reports each task (e.g. `byt5_xquad_test.es.noise_drop`)
  separately, so one eval run covers clean + all schemes. Mixtures in
  `eval_tasks` contribute their tasks. Rates are 1 (eval ignores them).

  Returns:
    The noised task names, then `mixture_name`.
  """
  tasks: List[str] = []
  for name in eval_tasks:
    tasks += [t for t in _leaf_tasks(name) if t not in tasks]
  noised: List[str] = []
  for task in tasks:
    noised += register_noised_variants(
        task, schemes=schemes, seed=seed, fields=fields,
        key_feature=key_feature, scheme_params=scheme_params)
  members = (tasks if include_clean else []) + noised
  existing = _lookup(mixture_name)
  if existing is not None:
    if existing is not _EVAL_MIXTURES.get(mixture_name):
      raise ValueError(f"{mixture_name!r} is already registered")
    seqio.MixtureRegistry.remove(mixture_name)  # Ours: rebuild it.
  _EVAL_MIXTURES[mixture_name] = seqio.MixtureRegistry.add(
      mixture_name, members, default_rate=1.0)
  return noised + [mixture_name]


def register_learnable_noise_variants(
    names: Union[str, Sequence[str]],
    schemes: Sequence[str] = ALL_SCHEMES,
    seed: int = 0,
    fields: Sequence[str] = DEFAULT_FIELDS,
    key_feature: Optional[str] = DEFAULT_KEY_FEATURE,
    scheme_params: Optional[SchemeParams] = None,
) -> List[str]:
  """"Learnable" noise: noised variants of training tasks and mixtures.

  Fine-tuning on e.g. `byt5_xquad_zeroshot.noise_drop` trains on noised SQuAD
  and evaluates on noised XQuAD with the same scheme, as in the paper.
  """
  if isinstance(names, str):
    names = [names]
  out: List[str] = []
  for name in names:
    out += [n for n in register_noised_variants(
        name, schemes=schemes, seed=seed, fields=fields,
        key_feature=key_feature, scheme_params=scheme_params) if n not in out]
  return out
