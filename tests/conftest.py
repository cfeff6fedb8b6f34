"""Shared pytest set-up: markers for optional T5X and real data, and fixtures."""
import importlib.util
import os
import pathlib

import pytest

DATA_DIR_ENV = "BYT5_TASKS_DATA_DIR"


def _t5x_importable() -> bool:
  return all(importlib.util.find_spec(m) is not None
             for m in ("t5x", "airio", "jestimator"))


def pytest_collection_modifyitems(config, items):
  del config
  skip_t5x = pytest.mark.skip(
      reason="T5X is not installed: it is not on PyPI; install the `t5x` extra "
      "from git (README, 'Running with T5X') to run these tests")
  skip_data = pytest.mark.skip(
      reason=f"${DATA_DIR_ENV} is not set: point it at the real data "
      "(CI uses ../shared/data)")
  has_t5x = _t5x_importable()
  has_data = bool(os.environ.get(DATA_DIR_ENV))
  for item in items:
    if "t5x" in item.keywords and not has_t5x:
      item.add_marker(skip_t5x)
    if "data" in item.keywords and not has_data:
      item.add_marker(skip_data)


@pytest.fixture
def real_data_dir() -> pathlib.Path:
  """The real data directory, for tests marked `data`."""
  return pathlib.Path(os.environ[DATA_DIR_ENV])
