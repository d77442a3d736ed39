"""What a trained model does: sample tunes, and score tunes (loss and bits per character).

    sampler   many tunes at once in one batch; temperature, top-k, top-p (`sampling_distribution`), a prime
    scoring   bits per character over a stream or tune by tune from a fresh state; `evaluate_source` and
              `tunes_to_score`, the tunes it reads
"""
