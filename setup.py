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

EXTRAS_REQUIRE = {
    "test": [
        "pytest",
        "pytest-xdist",
    ],
    "t5x": [
        "t5x @ git+https://github.com/google-research/t5x",
        "airio @ git+https://github.com/google/airio",
        "jestimator @ git+https://github.com/google-research/jestimator",
        "tensorboard",
        "cached_property",
    ],
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
