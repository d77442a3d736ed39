"""The app's pages, by name: `app.py` builds the navigation from these, pages link to each other with them."""
from __future__ import annotations

PAGE_FILES = {"studio": "pages/studio.py", "train": "pages/train.py", "dataset": "pages/dataset.py",
              "tunebook": "pages/tunebook.py", "inside": "pages/inside.py"}
