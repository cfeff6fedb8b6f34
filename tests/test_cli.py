"""The listing command on the real data: families, languages, rates."""
import io
import re

import pytest

from byt5_tasks import cli


@pytest.mark.data
def test_families_show_languages_sizes_and_rates():
  out = io.StringIO()
  cli.main(["families", "romance"], out=out)
  text = out.getvalue()
  rates = {m.group(2): float(m.group(1)) for m in
           re.finditer(r"^\s+([0-9.]+)\s+(\w+)\s+[0-9,]+ bytes$", text, re.M)}
  # ../shared/data has Spanish and Romanian shards of about equal size.
  assert set(rates) == {"es", "ro"}
  assert sum(rates.values()) == pytest.approx(1.0, abs=1e-3)
  assert rates["es"] == pytest.approx(0.5, abs=0.01)
  assert re.search(r"^\s+0\.0000\s+fr\s+no data$", text, re.M)


@pytest.mark.data
def test_list_points_family_mixtures_to_the_families_command():
  out = io.StringIO()
  cli.main(["list", "^byt5_mc4_(romance|european)$"], out=out)
  text = out.getvalue()
  assert "# 2 mixtures" in text
  assert text.count("(rates: python -m byt5_tasks.cli families)") == 2
