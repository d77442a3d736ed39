"""Training: settings, the loop, several devices, the run folder it writes, and the app's registry of runs.

    config        TrainConfig, presets, the learning-rate schedule
    loop          `train`: one device or DDP under torchrun, exact resume
    distributed   process-group set-up and collectives;  liveness: is a run's trainer still there
    run_folder    the run folder's files (owner of their names), read and written
    jobs          background training threads for the app, one per device
    endings_fit   a trained model's endings fitted and stored in it (`calibrate`), once or in the background
"""
