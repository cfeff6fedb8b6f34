"""Install byt5-tasks: SeqIO tasks and gin files for ByT5-style experiments on T5X.

The base install pins the set measured to work together (Python 3.11). T5X,
airio and jestimator are not on PyPI; the `t5x` extra names them by their git
URLs, the way T5X projects do (see README, "Running with T5X").
"""
import setuptools

INSTALL_REQUIRES = [
    "jax==0.10.2",
    "jaxlib==0.10.2",
    "flax==0.12.8",
    # One TensorFlow only: tensorflow-text needs `tensorflow`, so never add
    # tensorflow-cpu next to it.
    "tensorflow==2.21.0",
    "tensorflow-text==2.21.1",
    # seqio 0.0.20 depends on tensorflow-datasets (the maintained name of
    # tfds-nightly); both provide the module, so only this one is installed.
    "tensorflow-datasets==4.9.10",
    "seqio==0.0.20",
    "gin-config==0.5.0",
    "sentencepiece",
    "numpy",
    "matplotlib",
]

# What T5X needs at import and run time beyond our own pins (PyPI only).
T5X_RUNTIME = [
    "tensorboard==2.21.0",
    "cached_property==2.0.1",
    "fiddle==0.3.1",
    "chex==0.1.92",
    "jaxtyping==0.3.11",
    "grain==0.2.18",
    "clu==0.0.12",
    "orbax-checkpoint==0.12.8",
    "tensorstore",
]

# Not on PyPI: by git URL at the commits tested with this package. Their own
# requirements name git flax/seqio/optax, tfds-nightly and tensorflow-cpu, so
# pip resolving them would replace the pinned stack; launch/install_t5x.sh
# installs these three with --no-deps after the `t5x-runtime` extra.
T5X_GIT = [
    "t5x @ git+https://github.com/google-research/t5x"
    "@cc342d419ec3e3e9c4bf1df33c82330cafdc1e16",
    "airio @ git+https://github.com/google/airio"
    "@69897df7d9a427b947a9f7bb4164c7782b43e601",
    "jestimator @ git+https://github.com/google-research/jestimator"
    "@326824a477feef6d92e6f44175000907a72899ca",
]

EXTRAS_REQUIRE = {
    "test": [
        "pytest",
        "pytest-xdist",
    ],
    "t5x-runtime": T5X_RUNTIME,
    "t5x": T5X_RUNTIME + T5X_GIT,
}

setuptools.setup(
    name="byt5-tasks",
    version="0.1.0",
    description=(
        "SeqIO tasks, mixtures and gin files for pretraining ByT5-style models "
        "on language families and evaluating multilingual QA under noise."
    ),
    packages=setuptools.find_packages(include=["byt5_tasks", "byt5_tasks.*"]),
    package_data={"byt5_tasks": ["py.typed"]},
    python_requires=">=3.11",
    install_requires=INSTALL_REQUIRES,
    extras_require=EXTRAS_REQUIRE,
    license="Apache-2.0",
)
