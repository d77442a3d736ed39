"""Fixtures for the whole suite live in `tests/helpers/fixtures.py`."""
from tests.helpers.fixtures import *  # noqa: F403
