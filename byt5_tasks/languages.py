"""The mC4 languages and the language families we pretrain on.

One table says, for every language of TFDS `c4/multilingual:3.0.1`, its script
and whether that script has letter case: the pretraining mixtures need the
codes, and the noise schemes (uppercase, random_case, antspeak) need to know
where case exists. Families are plain lists of those codes, so a researcher can
add one with `register_family` and get a mixture for it.

This module is imported by light tools (listing, noise): keep it free of
TensorFlow and SeqIO.
"""
import dataclasses
import re
import types
from typing import Dict, Iterable, Mapping, Sequence, Tuple

# Scripts (ISO 15924 codes) whose letters come in upper and lower case in
# ordinary writing. Georgian (Geor) is deliberately absent: Unicode 11 gave
# Mkhedruli letters Mtavruli capitals, so `str.upper()` changes Georgian text,
# but modern Georgian writing is unicameral and capitals are only a display
# style; treating it as caseless keeps case noise from rewriting whole words.
CASED_SCRIPTS = frozenset({"Latn", "Cyrl", "Grek", "Armn"})


@dataclasses.dataclass(frozen=True)
class Language:
  """One mC4 language: its TFDS code, English name and (main) script."""
  code: str
  name: str
  script: str

  @property
  def has_case(self) -> bool:
    return self.script in CASED_SCRIPTS


# (code, name, ISO 15924 script). Codes are exactly TFDS's MC4_LANGUAGES for
# c4/multilingual:3.0.1 (CLD3 codes: `iw` is Hebrew, `-Latn` marks romanized
# text). The script is the one mC4's text is mostly written in.
_LANGUAGE_ROWS: Tuple[Tuple[str, str, str], ...] = (
    ("af", "Afrikaans", "Latn"),
    ("am", "Amharic", "Ethi"),
    ("ar", "Arabic", "Arab"),
    ("az", "Azerbaijani", "Latn"),
    ("be", "Belarusian", "Cyrl"),
    ("bg", "Bulgarian", "Cyrl"),
    ("bg-Latn", "Bulgarian (romanized)", "Latn"),
    ("bn", "Bengali", "Beng"),
    ("ca", "Catalan", "Latn"),
    ("ceb", "Cebuano", "Latn"),
    ("co", "Corsican", "Latn"),
    ("cs", "Czech", "Latn"),
    ("cy", "Welsh", "Latn"),
    ("da", "Danish", "Latn"),
    ("de", "German", "Latn"),
    ("el", "Greek", "Grek"),
    ("el-Latn", "Greek (romanized)", "Latn"),
    ("en", "English", "Latn"),
    ("eo", "Esperanto", "Latn"),
    ("es", "Spanish", "Latn"),
    ("et", "Estonian", "Latn"),
    ("eu", "Basque", "Latn"),
    ("fa", "Persian", "Arab"),
    ("fi", "Finnish", "Latn"),
    ("fil", "Filipino", "Latn"),
    ("fr", "French", "Latn"),
    ("fy", "Western Frisian", "Latn"),
    ("ga", "Irish", "Latn"),
    ("gd", "Scottish Gaelic", "Latn"),
    ("gl", "Galician", "Latn"),
    ("gu", "Gujarati", "Gujr"),
    ("ha", "Hausa", "Latn"),
    ("haw", "Hawaiian", "Latn"),
    ("hi", "Hindi", "Deva"),
    ("hi-Latn", "Hindi (romanized)", "Latn"),
    ("hmn", "Hmong", "Latn"),
    ("ht", "Haitian Creole", "Latn"),
    ("hu", "Hungarian", "Latn"),
    ("hy", "Armenian", "Armn"),
    ("id", "Indonesian", "Latn"),
    ("ig", "Igbo", "Latn"),
    ("is", "Icelandic", "Latn"),
    ("it", "Italian", "Latn"),
    ("iw", "Hebrew", "Hebr"),
    ("ja", "Japanese", "Jpan"),
    ("ja-Latn", "Japanese (romanized)", "Latn"),
    ("jv", "Javanese", "Latn"),
    ("ka", "Georgian", "Geor"),
    ("kk", "Kazakh", "Cyrl"),
    ("km", "Khmer", "Khmr"),
    ("kn", "Kannada", "Knda"),
    ("ko", "Korean", "Kore"),
    ("ku", "Kurdish (Kurmanji)", "Latn"),
    ("ky", "Kyrgyz", "Cyrl"),
    ("la", "Latin", "Latn"),
    ("lb", "Luxembourgish", "Latn"),
    ("lo", "Lao", "Laoo"),
    ("lt", "Lithuanian", "Latn"),
    ("lv", "Latvian", "Latn"),
    ("mg", "Malagasy", "Latn"),
    ("mi", "Maori", "Latn"),
    ("mk", "Macedonian", "Cyrl"),
    ("ml", "Malayalam", "Mlym"),
    ("mn", "Mongolian", "Cyrl"),
    ("mr", "Marathi", "Deva"),
    ("ms", "Malay", "Latn"),
    ("mt", "Maltese", "Latn"),
    ("my", "Burmese", "Mymr"),
    ("ne", "Nepali", "Deva"),
    ("nl", "Dutch", "Latn"),
    ("no", "Norwegian", "Latn"),
    ("ny", "Chichewa", "Latn"),
    ("pa", "Punjabi", "Guru"),
    ("pl", "Polish", "Latn"),
    ("ps", "Pashto", "Arab"),
    ("pt", "Portuguese", "Latn"),
    ("ro", "Romanian", "Latn"),
    ("ru", "Russian", "Cyrl"),
    ("ru-Latn", "Russian (romanized)", "Latn"),
    ("sd", "Sindhi", "Arab"),
    ("si", "Sinhala", "Sinh"),
    ("sk", "Slovak", "Latn"),
    ("sl", "Slovenian", "Latn"),
    ("sm", "Samoan", "Latn"),
    ("sn", "Shona", "Latn"),
    ("so", "Somali", "Latn"),
    ("sq", "Albanian", "Latn"),
    ("sr", "Serbian", "Cyrl"),
    ("st", "Sesotho", "Latn"),
    ("su", "Sundanese", "Latn"),
    ("sv", "Swedish", "Latn"),
    ("sw", "Swahili", "Latn"),
    ("ta", "Tamil", "Taml"),
    ("te", "Telugu", "Telu"),
    ("tg", "Tajik", "Cyrl"),
    ("th", "Thai", "Thai"),
    ("tr", "Turkish", "Latn"),
    ("uk", "Ukrainian", "Cyrl"),
    ("ur", "Urdu", "Arab"),
    ("uz", "Uzbek", "Latn"),
    ("vi", "Vietnamese", "Latn"),
    ("xh", "Xhosa", "Latn"),
    ("yi", "Yiddish", "Hebr"),
    ("yo", "Yoruba", "Latn"),
    ("zh", "Chinese", "Hani"),
    ("zh-Latn", "Chinese (romanized)", "Latn"),
    ("zu", "Zulu", "Latn"),
)

MC4_LANGUAGES: Mapping[str, Language] = types.MappingProxyType(
    {code: Language(code, name, script)
     for code, name, script in _LANGUAGE_ROWS})

# Families list native-script languages only; the romanized `-Latn` variants
# are a different kind of text and are left to user-registered families.
_GERMANIC = ("af", "da", "de", "en", "fy", "is", "lb", "nl", "no", "sv", "yi")
_ROMANCE = ("ca", "co", "es", "fr", "gl", "it", "pt", "ro")
_SLAVIC = ("be", "bg", "cs", "mk", "pl", "ru", "sk", "sl", "sr", "uk")
_HELLENIC = ("el",)
_BALTIC = ("lt", "lv")
_CELTIC = ("cy", "ga", "gd")
_URALIC = ("et", "fi", "hu")
_INDO_ARYAN = ("bn", "gu", "hi", "mr", "ne", "pa", "sd", "si", "ur")
_DRAVIDIAN = ("kn", "ml", "ta", "te")

_BUILTIN_FAMILIES: Dict[str, Tuple[str, ...]] = {
    "germanic": _GERMANIC,
    "romance": _ROMANCE,
    "slavic": _SLAVIC,
    "hellenic": _HELLENIC,
    "baltic": _BALTIC,
    "celtic": _CELTIC,
    "uralic": _URALIC,
    "indo_aryan": _INDO_ARYAN,
    "dravidian": _DRAVIDIAN,
    # Indo-Aryan and Dravidian languages of India (all are scheduled languages
    # of the Indian constitution); Sinhala, of Sri Lanka, is left out.
    "indian": tuple(sorted(set(_INDO_ARYAN + _DRAVIDIAN) - {"si"})),
    "semitic": ("am", "ar", "iw", "mt"),
    "turkic": ("az", "kk", "ky", "tr", "uz"),
    "bantu": ("ny", "sn", "st", "sw", "xh", "zu"),
    # The European branches above plus the European isolates and outliers in
    # mC4 (Albanian, Basque, Maltese). Languages of the Caucasus, Turkish,
    # Latin and Esperanto are not included.
    "european": tuple(sorted(set(
        _GERMANIC + _ROMANCE + _SLAVIC + _HELLENIC + _BALTIC + _CELTIC +
        _URALIC + ("sq", "eu", "mt")))),
}

_families: Dict[str, Tuple[str, ...]] = dict(_BUILTIN_FAMILIES)

_FAMILY_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")


def language(code: str) -> Language:
  """The table row for an mC4 code; a clear error for unknown codes."""
  try:
    return MC4_LANGUAGES[code]
  except KeyError:
    raise ValueError(
        f"{code!r} is not an mC4 language code (c4/multilingual:3.0.1); "
        f"known codes: {', '.join(MC4_LANGUAGES)}") from None


def has_case(code: str) -> bool:
  """Whether the language's script distinguishes upper and lower case."""
  return language(code).has_case


def languages_with_script(script: str) -> Tuple[str, ...]:
  return tuple(c for c, lang in MC4_LANGUAGES.items() if lang.script == script)


def families() -> Mapping[str, Tuple[str, ...]]:
  """Every registered family (built-in and user) and its language codes."""
  return types.MappingProxyType(dict(_families))


def family_languages(family: str) -> Tuple[str, ...]:
  try:
    return _families[family]
  except KeyError:
    raise ValueError(
        f"unknown language family {family!r}; registered: "
        f"{', '.join(sorted(_families))} (add one with register_family)"
    ) from None


def _validated_codes(family: str, codes: Iterable[str]) -> Tuple[str, ...]:
  if isinstance(codes, str):
    raise ValueError(f"family {family!r}: give a list of mC4 codes, not one "
                     f"string {codes!r}")
  codes = tuple(codes)
  if not codes:
    raise ValueError(f"family {family!r}: give a non-empty list of mC4 codes")
  unknown = [c for c in codes if c not in MC4_LANGUAGES]
  if unknown:
    raise ValueError(
        f"family {family!r}: not mC4 language codes: {', '.join(unknown)}")
  duplicated = sorted({c for c in codes if codes.count(c) > 1})
  if duplicated:
    raise ValueError(
        f"family {family!r}: codes listed twice: {', '.join(duplicated)}")
  return codes


def register_family(name: str, codes: Sequence[str],
                    overwrite: bool = False) -> Tuple[str, ...]:
  """Declares a family (any list of mC4 codes) under a task-name-safe name.

  Registering the same name twice with different codes is an error unless
  `overwrite`, so two modules cannot silently disagree about a family.
  Returns the codes as stored.
  """
  if not _FAMILY_NAME_RE.match(name):
    raise ValueError(
        f"family name {name!r}: use lowercase letters, digits and '_' "
        "(it becomes part of the mixture name byt5_mc4_{family})")
  codes = _validated_codes(name, codes)
  existing = _families.get(name)
  if existing is not None and existing != codes and not overwrite:
    raise ValueError(
        f"family {name!r} is already registered as {existing}; pass "
        "overwrite=True to replace it")
  _families[name] = codes
  return codes
