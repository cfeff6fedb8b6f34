"""Names that gin files compute: gin has no string formatting.

Our gin files say *what* to run with macros (`FAMILY = 'romance'`,
`VOCAB_PREFIX = 'mt5'`, `EVAL_TASKS = [...]`, `NOISE_SCHEMES = [...]`) and
call these functions for the registered task or mixture name, so one gin
serves every family and both vocabularies, and a typo fails at start-up with
the names that do exist instead of deep inside a T5X binary.

`clean_and_noised_mixture` registers a mixture of a setup's clean eval tasks
and their noised variants (`byt5_tasks.noised`), so one T5X eval run scores
all of them.
"""
from typing import Iterable, List, Optional, Sequence

import seqio

from byt5_tasks import languages
from byt5_tasks import mc4
from byt5_tasks import noised

CLEAN = "clean"


def _registered() -> List[str]:
  return sorted(set(seqio.TaskRegistry.names())
                | set(seqio.MixtureRegistry.names()))


def _require_registered(names: Iterable[str], what: str,
                        hint_prefix: str) -> None:
  known = set(_registered())
  missing = [n for n in names if n not in known]
  if missing:
    near = [n for n in sorted(known) if n.startswith(hint_prefix)]
    shown = ", ".join(near[:40]) + (" ..." if len(near) > 40 else "")
    raise ValueError(
        f"{what}: not registered: {', '.join(missing)}. Registered names "
        f"starting with {hint_prefix!r}: {shown or 'none'}. Does the gin "
        "file `import byt5_tasks.tasks`, and is the data configured?")


def family_mixture(family: str) -> str:
  """`byt5_mc4_{family}`, the span-corruption mixture of a language family.

  A family known to `byt5_tasks.languages` whose mixture is not registered
  yet gets it registered here (cheap and offline: sizes are read lazily).
  """
  languages.family_languages(family)  # Unknown family: error listing known.
  name = mc4.mixture_name(family)
  if name not in seqio.MixtureRegistry.names():
    mc4.register_family_mixture(family)
  return name


def noised_name(task: str, scheme: Optional[str]) -> str:
  """`task` itself for scheme None/'clean', else `{task}.noise_{scheme}`."""
  if scheme in (None, "", CLEAN):
    return task
  return noised.noised_name(task, scheme)


def qa_name(stem: str, prefix: str = "byt5",
            noise_scheme: Optional[str] = None) -> str:
  """`{prefix}_{stem}[.noise_{scheme}]`, checked against the registry.

  Args:
    stem: a task or mixture name without vocabulary prefix, e.g.
      `xquad_zeroshot` or `tydiqa_train.en`.
    prefix: vocabulary family, `byt5` or `mt5`.
    noise_scheme: for learnable-noise runs, the scheme whose variant to use;
      registered here (`byt5_tasks.noised`) if it is not yet.
  """
  clean = f"{prefix}_{stem}"
  # On a typo, list the names of the same benchmark (`byt5_xquad...`).
  _require_registered([clean], "QA task/mixture",
                      f"{prefix}_{stem.split('_')[0]}")
  name = noised_name(clean, noise_scheme)
  if name != clean and name not in _registered():
    noised.register_learnable_noise_variants(clean, schemes=[noise_scheme])
  return name


def clean_and_noised_mixture(stems: Sequence[str], schemes: Sequence[str],
                             prefix: str = "byt5",
                             name: Optional[str] = None) -> str:
  """Registers (or replaces) one mixture of clean + noised eval tasks.

  Args:
    stems: eval tasks without prefix, e.g. `["xquad_test.es"]`.
    schemes: noise schemes, e.g. the six of the ByT5 paper; may be empty.
    prefix: vocabulary family, `byt5` or `mt5`.
    name: mixture name; by default derived from the stems and schemes so
      different eval runs never clash.

  Returns:
    The mixture name, for `MIXTURE_OR_TASK_NAME`.
  """
  if not stems:
    raise ValueError("no eval tasks given (EVAL_TASKS is empty)")
  tasks = [f"{prefix}_{stem}" for stem in stems]
  _require_registered(tasks, "eval tasks", f"{prefix}_")
  if name is None:
    # seqio names allow only word characters, '.', ':' and '#'.
    name = f"{prefix}_eval:{'#'.join(stems)}:{'#'.join([CLEAN, *schemes])}"
  seqio.MixtureRegistry.remove(name)
  noised.register_noise_eval_mixture(name, tasks, schemes=list(schemes))
  return name
