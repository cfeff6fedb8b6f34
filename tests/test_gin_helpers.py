"""Tests for byt5_tasks.gin_helpers: the names our gin files compute."""
import pytest
import seqio

import byt5_tasks.tasks  # pylint: disable=unused-import
from byt5_tasks import gin_helpers
from byt5_tasks import mc4

SIX = ["drop", "add_drop_mutate", "repetitions", "antspeak", "uppercase",
       "random_case"]


def test_family_mixture_names_and_registers_a_known_family():
  name = gin_helpers.family_mixture("romance")
  assert name == "byt5_mc4_romance"
  assert name in seqio.MixtureRegistry.names()
  assert name == mc4.mixture_name("romance")


def test_family_mixture_rejects_unknown_family_listing_known_ones():
  with pytest.raises(ValueError, match="romance"):
    gin_helpers.family_mixture("klingon")


def test_qa_name_prefixes_and_checks_registry():
  assert gin_helpers.qa_name("xquad_zeroshot") == "byt5_xquad_zeroshot"
  assert gin_helpers.qa_name("tydiqa_train.en", prefix="mt5") == (
      "mt5_tydiqa_train.en")
  with pytest.raises(ValueError, match="byt5_xquad_zeroshot"):
    gin_helpers.qa_name("xquad_zeroshott")


@pytest.mark.parametrize("scheme", [None, "", "clean"])
def test_qa_name_without_noise_is_the_clean_task(scheme):
  assert gin_helpers.qa_name("squad_train_dev", noise_scheme=scheme) == (
      "byt5_squad_train_dev")


def test_qa_name_registers_learnable_noise_variant_on_demand():
  name = gin_helpers.qa_name("tydiqa_train.en", noise_scheme="uppercase")
  assert name == "byt5_tydiqa_train.en.noise_uppercase"
  assert name in seqio.TaskRegistry.names()
  # Asking again reuses it.
  assert gin_helpers.qa_name("tydiqa_train.en",
                             noise_scheme="uppercase") == name


def test_clean_and_noised_mixture_holds_clean_then_every_scheme():
  name = gin_helpers.clean_and_noised_mixture(
      ["xquad_test.es", "xquad_test.ro"], SIX)
  tasks = {t.name for t in seqio.get_mixture_or_task(name).tasks}
  expected = {f"byt5_xquad_test.{lang}{suffix}"
              for lang in ("es", "ro")
              for suffix in [""] + [f".noise_{s}" for s in SIX]}
  assert tasks == expected
  # Registering the same eval again (a second gin parse) replaces it.
  assert gin_helpers.clean_and_noised_mixture(
      ["xquad_test.es", "xquad_test.ro"], SIX) == name


def test_clean_and_noised_mixture_names_differ_per_setup():
  a = gin_helpers.clean_and_noised_mixture(["xquad_test.es"], ["drop"])
  b = gin_helpers.clean_and_noised_mixture(["xquad_test.es"], SIX)
  c = gin_helpers.clean_and_noised_mixture(["xquad_test.es"], ["drop"],
                                           prefix="mt5")
  assert len({a, b, c}) == 3
  assert {t.name for t in seqio.get_mixture_or_task(c).tasks} == {
      "mt5_xquad_test.es", "mt5_xquad_test.es.noise_drop"}


def test_clean_and_noised_mixture_errors():
  with pytest.raises(ValueError, match="EVAL_TASKS is empty"):
    gin_helpers.clean_and_noised_mixture([], SIX)
  with pytest.raises(ValueError, match="byt5_xquad_test.xx"):
    gin_helpers.clean_and_noised_mixture(["xquad_test.xx"], SIX)
