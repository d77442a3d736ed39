"""The model: the network (one dataclass config), the device it runs on, and its checkpoints.

    network     embedding -> stacked LSTM/GRU -> linear;  device: CUDA, MPS or CPU, autocast
    checkpoint  one file with config, vocabulary and weights; atomic writes, `weights_only` reads
"""
