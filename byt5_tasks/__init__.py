"""byt5-tasks: SeqIO tasks for ByT5-style language-family pretraining and noisy QA.

Importing `byt5_tasks.tasks` registers every task and mixture; the helpers that
do it (`byt5_tasks.registry`) are public so other T5X projects can register
their own families, QA tasks and noised variants.
"""

__version__ = "0.1.0"
