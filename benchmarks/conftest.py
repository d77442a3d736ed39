"""The benchmarks' own tests (`test_scripts.py`) use the suite's fixtures."""
from tests.helpers.fixtures import *  # noqa: F403
