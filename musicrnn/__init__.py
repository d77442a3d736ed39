"""musicrnn: a character-level recurrent language model of folk tunes in ABC notation."""

__version__ = "0.1.0"
