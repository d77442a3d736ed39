"""What every layer knows of ABC text without parsing music: field lines, tunes in a file, meters.

Plain Python (no music21, no torch), so the data side and the music side share one reading of it.
"""
