"""The installed set is the one setup.py pins: one TensorFlow, no nightlies."""
import importlib.metadata
import pathlib
import re

import pytest

SETUP = pathlib.Path(__file__).resolve().parent.parent / "setup.py"


def _pins():
  text = SETUP.read_text(encoding="utf-8")
  block = text.split("INSTALL_REQUIRES = [", 1)[1].split("]", 1)[0]
  return dict(re.findall(r'"([A-Za-z0-9_.-]+)==([^"]+)"', block))


def test_setup_pins_the_measured_stack():
  pins = _pins()
  assert pins["tensorflow"] == "2.21.0"
  assert pins["seqio"] == "0.0.20"
  assert pins["jax"] == "0.10.2"
  assert "tensorflow-cpu" not in pins and "tfds-nightly" not in pins


@pytest.mark.parametrize("name, version", sorted(_pins().items()))
def test_installed_versions_match_the_pins(name, version):
  assert importlib.metadata.version(name) == version


@pytest.mark.parametrize("conflicting", [
    "tensorflow-cpu", "tf-nightly", "tfds-nightly", "seqio-nightly", "t5"])
def test_no_second_copy_of_a_pinned_package(conflicting):
  with pytest.raises(importlib.metadata.PackageNotFoundError):
    importlib.metadata.version(conflicting)
