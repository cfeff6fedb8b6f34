"""Tests for the mC4 language table and the language families."""
import subprocess
import sys

import pytest

from byt5_tasks import languages

# One letter per script, to check `has_case` against Python's own case maps.
_SCRIPT_SAMPLE_LETTER = {
    "Latn": "a", "Cyrl": "д", "Grek": "λ", "Armn": "ա", "Arab": "ب",
    "Hebr": "ש", "Deva": "क", "Beng": "ক", "Gujr": "ક", "Guru": "ਕ",
    "Knda": "ಕ", "Mlym": "ക", "Taml": "க", "Telu": "క", "Sinh": "ක",
    "Thai": "ก", "Laoo": "ກ", "Khmr": "ក", "Mymr": "က", "Ethi": "ሀ",
    "Hani": "中", "Jpan": "か", "Kore": "한", "Geor": "ა",
}


def test_table_is_exactly_tfds_mc4_languages():
  from tensorflow_datasets.text import c4  # pylint: disable=g-import-not-at-top
  assert list(languages.MC4_LANGUAGES) == list(c4.MC4_LANGUAGES)


def test_every_script_has_a_sample_and_case_matches_python():
  for code, lang in languages.MC4_LANGUAGES.items():
    letter = _SCRIPT_SAMPLE_LETTER[lang.script]
    python_has_case = letter.upper() != letter.lower()
    if lang.script == "Geor":
      # Documented exception: Python uppercases Mkhedruli to Mtavruli, but
      # we treat Georgian as caseless.
      assert python_has_case and not lang.has_case
    else:
      assert lang.has_case == python_has_case, code


def test_romanized_variants_are_latin_and_cased():
  for code in ("bg-Latn", "el-Latn", "hi-Latn", "ja-Latn", "ru-Latn",
               "zh-Latn"):
    assert languages.language(code).script == "Latn"
    assert languages.has_case(code)


@pytest.mark.parametrize("family", [
    "germanic", "romance", "slavic", "hellenic", "indo_aryan", "dravidian",
    "indian", "semitic", "turkic", "uralic", "baltic", "celtic", "bantu",
    "european"])
def test_required_families_exist_with_mc4_codes(family):
  codes = languages.family_languages(family)
  assert codes
  assert len(set(codes)) == len(codes)
  for code in codes:
    assert code in languages.MC4_LANGUAGES, (family, code)


def test_indian_is_indo_aryan_and_dravidian_of_india():
  indian = set(languages.family_languages("indian"))
  both = set(languages.family_languages("indo_aryan")) | set(
      languages.family_languages("dravidian"))
  assert indian <= both
  assert {"hi", "bn", "ta", "te"} <= indian
  assert "si" not in indian  # Sinhala is the language of Sri Lanka.


def test_european_covers_the_european_branches():
  european = set(languages.family_languages("european"))
  for branch in ("germanic", "romance", "slavic", "hellenic", "baltic",
                 "celtic", "uralic"):
    assert set(languages.family_languages(branch)) <= european, branch
  assert "tr" not in european and "ar" not in european


@pytest.fixture
def isolated_families(monkeypatch):
  """Families registered by a test disappear after it."""
  monkeypatch.setattr(languages, "_families", dict(languages._families))


def test_register_family_validates_and_is_listed(isolated_families):
  del isolated_families
  codes = languages.register_family("test_iberian", ["es", "pt", "ca", "eu"])
  assert codes == ("es", "pt", "ca", "eu")
  assert languages.families()["test_iberian"] == codes
  # Same codes again is fine (idempotent registration at import).
  languages.register_family("test_iberian", ["es", "pt", "ca", "eu"])
  with pytest.raises(ValueError, match="already registered"):
    languages.register_family("test_iberian", ["es"])
  languages.register_family("test_iberian", ["es"], overwrite=True)
  assert languages.family_languages("test_iberian") == ("es",)


@pytest.mark.parametrize("name,codes,message", [
    ("x", ["xx"], "not mC4 language codes: xx"),
    ("x", [], "non-empty"),
    ("x", "en", "not one string"),
    ("x", ["en", "en"], "listed twice: en"),
    ("Bad-Name", ["en"], "lowercase"),
])
def test_register_family_rejects_bad_input(name, codes, message):
  with pytest.raises(ValueError, match=message):
    languages.register_family(name, codes)


def test_unknown_lookups_name_the_problem():
  with pytest.raises(ValueError, match="'xx' is not an mC4 language code"):
    languages.language("xx")
  with pytest.raises(ValueError, match="unknown language family 'nope'"):
    languages.family_languages("nope")


def test_module_does_not_import_tensorflow():
  code = ("import sys, byt5_tasks.languages; "
          "print('tensorflow' in sys.modules or 'seqio' in sys.modules)")
  out = subprocess.run([sys.executable, "-c", code], check=True,
                       capture_output=True, text=True).stdout.strip()
  assert out == "False"
