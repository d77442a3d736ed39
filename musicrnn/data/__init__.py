"""The data side: from a source to the encoded streams the model trains on.

    sources   IrishMAN JSON, .abc files, music21's bundled tunes -> raw tunes
    clean     what the model should learn, in one dialect;  barlines: bar lines agree with line ends
    split     train / validation (the source's own, or by content hash)
    vocab     characters <-> ids;  stream: tunes joined by <eos>, cached on disk
    batches   windows or whole tunes for the trainer
    stats     corpus statistics;  download: fetching IrishMAN
"""
