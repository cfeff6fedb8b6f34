"""Maps a function over batches of a dataset's examples, cheaply, in order.

The noise preprocessor is a few dozen small ops. Per example, their fixed
cost is most of the work; per batch of 256 it is negligible
(`byt5_tasks.text_batch`). `map_in_batches` batches the examples (padding
features of varying shape and cutting them back afterwards), applies the
function to each batch and unbatches, so every other feature comes out as
it went in and the order is kept.

Its maps run inline (`map_inline`): synchronously, on the thread that asks
for the element, and instantiated without per-iterator graph optimization.
tf.data instantiates a map function at every iterator, and for an ordinary
`Dataset.map` that runs Grappler over the function's graph, ~0.2 ms per op:
tens of milliseconds for the noise, at every eval pass. The function is
marked with TensorFlow's `experimental_ints_on_device` attribute, which
makes tf.data instantiate it as a plain single-device function
(meaningless on a CPU otherwise; tf.data functions run on the host). One
core, 50 chained adds: 12.7 ms per iterator unmarked, 2.8 ms marked. With
int32 tensors among the function's inputs or outputs TensorFlow (2.21) then
fails to build the iterator, so such functions keep the ordinary
instantiation (tested).
The function is also not marked as a "tf.data function" (as `Dataset.map`
marks every function), so tf.data's graph rewrite, which runs at every
iterator too, does not optimize its body (looking for nested datasets).
`Dataset.map` has no public switch for any of this, so `map_inline` traces
the function and builds tf.data's map dataset from its parts, and falls back
to `Dataset.map` where those internals differ.
"""
import re
from typing import Callable, Dict, Mapping, Optional

from absl import logging
import tensorflow as tf

Features = Dict[str, tf.Tensor]
_FUNCTION_ATTRIBUTES = {"experimental_ints_on_device": True}


def _has_int32(element_spec) -> bool:
  # pylint: disable=g-import-not-at-top
  from tensorflow.python.data.util import structure
  # pylint: enable=g-import-not-at-top
  return any(spec.dtype == tf.int32
             for spec in structure.get_flat_tensor_specs(element_spec))


def _trace(fn, input_spec, attributes: Mapping[str, bool]):
  """`fn` traced as a function of the flat tensors of `input_spec`.

  Returns the concrete function and the structure of `fn`'s output. It is
  traced here rather than by tf.data's own wrapper, which marks every map
  function as a tf.data function: tf.data's graph rewrite, run at every
  iterator, then also optimizes its body, looking for datasets that a
  function of plain tensor ops cannot hold.
  """
  # pylint: disable=g-import-not-at-top
  from tensorflow.python.data.util import structure
  # pylint: enable=g-import-not-at-top
  output_spec = []

  def flat_fn(*tensors):
    out = fn(structure.from_compatible_tensor_list(input_spec, tensors))
    output_spec.append(structure.type_spec_from_value(out))
    return structure.to_tensor_list(output_spec[-1], out)

  # Named after `fn` in graphs and profiles, as `Dataset.map` names them.
  flat_fn.__name__ = re.sub(r"\W", "_", getattr(fn, "__name__", "fn"))
  function = tf.function(
      flat_fn, autograph=False, experimental_attributes=dict(attributes)
  ).get_concrete_function(*structure.get_flat_tensor_specs(input_spec))
  return function, output_spec[-1]


def _inline_map_dataset(dataset: tf.data.Dataset, fn) -> tf.data.Dataset:
  """tf.data's MapDataset with an inline, single-device function."""
  # pylint: disable=g-import-not-at-top,protected-access
  from tensorflow.python.data.ops import dataset_ops
  from tensorflow.python.ops import gen_dataset_ops

  class _InlineMapDataset(dataset_ops.UnaryDataset):
    """`Dataset.map` with the function options `map_inline` needs."""

    def __init__(self, input_dataset, map_func):
      self._input_dataset = input_dataset
      self._name = None
      input_spec = input_dataset.element_spec
      # The attribute fails on int32 in or out: such functions go without.
      attributes = {} if _has_int32(input_spec) else _FUNCTION_ATTRIBUTES
      self.function, self._output_spec = _trace(map_func, input_spec,
                                                attributes)
      if attributes and _has_int32(self._output_spec):
        self.function, self._output_spec = _trace(map_func, input_spec, {})
      variant_tensor = gen_dataset_ops.map_dataset(
          input_dataset._variant_tensor,
          self.function.captured_inputs,
          f=self.function,
          use_inter_op_parallelism=False,
          preserve_cardinality=True,
          force_synchronous=True,
          **self._common_args)
      super().__init__(input_dataset, variant_tensor)

    @property
    def element_spec(self):
      return self._output_spec

  return _InlineMapDataset(dataset, fn)
  # pylint: enable=g-import-not-at-top,protected-access


def map_inline(dataset: tf.data.Dataset, fn) -> tf.data.Dataset:
  """`dataset.map(fn)`, run inline; see the module docstring. Same output."""
  try:
    return _inline_map_dataset(dataset, fn)
  except (ImportError, AttributeError, TypeError) as e:
    logging.info("map_inline: Dataset.map instead of tf.data internals (%s)",
                 e)
  return dataset.map(fn)


def _as_dense_spec(spec: object) -> Optional[tf.TensorSpec]:
  """The dense spec of a feature, if it has one of known rank.

  A RaggedTensorSpec with ragged_rank 0 (what slicing a 2-D RaggedTensor
  gives) describes a dense tensor: maps see and return it as one.
  """
  if isinstance(spec, tf.RaggedTensorSpec) and spec.ragged_rank == 0:
    spec = tf.TensorSpec(spec.shape, spec.dtype)
  if isinstance(spec, tf.TensorSpec) and spec.shape.rank is not None:
    return spec
  return None


def _shape_name(feature: str, taken: Mapping[str, object]) -> str:
  name = f"__shape_of_{feature}"
  while name in taken:
    name = "_" + name
  return name


def map_in_batches(dataset: tf.data.Dataset,
                   fn: Callable[[Features], Features],
                   batch_size: int = 256) -> tf.data.Dataset:
  """Applies `fn` to batches of up to `batch_size` examples, then unbatches.

  `fn` gets a dict of features batched along a new first axis and returns
  the examples' new dict, batched the same way; it must treat each example
  on its own (nothing else is guaranteed about how examples are grouped).
  Features of varying shape are padded for the batch and cut back to each
  example's own shape afterwards (features come out dense: a
  RaggedTensorSpec of ragged_rank 0 becomes the TensorSpec any map would
  make of it). Datasets whose features are not all dense tensors of known
  rank get `fn` on batches of one example instead.
  """
  spec = dataset.element_spec
  dense = {k: _as_dense_spec(s) for k, s in spec.items()} if isinstance(
      spec, dict) else None
  if dense is None or None in dense.values():
    logging.info("map_in_batches: batches of one for element spec %s", spec)
    return map_inline(dataset, lambda ex: tf.nest.map_structure(
        lambda t: t[0], fn(tf.nest.map_structure(
            lambda t: tf.expand_dims(t, 0), ex))))
  varying = [k for k, s in dense.items() if not s.shape.is_fully_defined()]
  shape_names = {k: _shape_name(k, spec) for k in varying}

  def add_shapes(ex: Features) -> Features:
    return {**ex, **{name: tf.shape(ex[k], out_type=tf.int64)
                     for k, name in shape_names.items()}}

  def cut_to_shape(ex: Features) -> Features:
    out = {k: v for k, v in ex.items() if k in spec}
    for k, name in shape_names.items():
      out[k] = tf.slice(ex[k], tf.zeros_like(ex[name]), ex[name])
      out[k].set_shape(dense[k].shape)
    return out

  def on_batch(batch: Features) -> Features:
    out = fn({k: v for k, v in batch.items() if k in spec})
    return {**out, **{name: batch[name] for name in shape_names.values()}}

  if varying or dense != spec:  # The map also makes every feature dense.
    dataset = map_inline(dataset, add_shapes)
  dataset = map_inline(dataset.padded_batch(batch_size), on_batch).unbatch()
  return map_inline(dataset, cut_to_shape) if varying else dataset
