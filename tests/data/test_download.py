"""The IrishMAN download against a local HTTP server that speaks like the hub (Range, X-Linked-Etag)."""
import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from musicrnn.data.download import DownloadError, download_irishman, fetch
from musicrnn.data.split import load_corpus

TRAIN = json.dumps([{"control code": "S:2", "abc notation": f"X:1\nL:1/8\nM:6/8\nK:D\n{'ABc' * (i + 1)}|"}
                    for i in range(40)]).encode()
VAL = json.dumps([{"abc notation": "X:1\nL:1/8\nM:4/4\nK:G\nGABc dedB|"}]).encode()


class Hub(BaseHTTPRequestHandler):
    files: dict = {}
    fail_after: dict = {}  # path -> bytes sent before the connection drops (once)
    requests: list = []
    bad_sha: bool = False

    def log_message(self, *a):
        pass

    def do_GET(self):
        type(self).requests.append((self.path, self.headers.get("Range")))
        data = self.files.get(self.path)
        if data is None:
            self.send_error(404)
            return
        start = 0
        rng = self.headers.get("Range")
        if rng:
            start = int(rng.split("=")[1].split("-")[0])
            if start >= len(data):
                self.send_response(416)
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        sha = hashlib.sha256(b"x" if self.bad_sha else data).hexdigest()
        self.send_header("X-Linked-Etag", f'"{sha}"')
        self.send_header("Content-Length", str(len(data) - start))
        self.end_headers()
        cut = self.fail_after.pop(self.path, None)
        if cut is not None:
            self.wfile.write(data[start:cut])
            self.wfile.flush()
            self.connection.close()
            return
        self.wfile.write(data[start:])


@pytest.fixture
def hub(monkeypatch):
    Hub.files = {"/datasets/sander-wood/irishman/resolve/main/train.json": TRAIN,
                 "/datasets/sander-wood/irishman/resolve/main/validation.json": VAL}
    Hub.fail_after, Hub.requests, Hub.bad_sha = {}, [], False
    server = ThreadingHTTPServer(("127.0.0.1", 0), Hub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{server.server_address[1]}")
    yield Hub
    server.shutdown()


def test_download_then_train_data_loads(hub, tmp_path):
    seen = []
    counts = download_irishman(tmp_path / "irishman", lambda name: lambda done, total: seen.append((name, done, total)))
    assert counts == {"train.json": 40, "validation.json": 1}
    assert (tmp_path / "irishman" / "train.json").read_bytes() == TRAIN
    assert seen[-1] == ("validation.json", len(VAL), len(VAL))
    c = load_corpus(tmp_path / "irishman")
    assert c.split == "source" and len(c.val) == 1


def test_resumes_after_a_dropped_connection(hub, tmp_path):
    url_path = "/datasets/sander-wood/irishman/resolve/main/train.json"
    hub.fail_after[url_path] = 100
    with pytest.raises(DownloadError, match="run again to resume"):
        download_irishman(tmp_path / "d")
    assert (tmp_path / "d" / "train.json.new.part").stat().st_size == 100
    assert not (tmp_path / "d" / "train.json").exists()
    download_irishman(tmp_path / "d")
    assert (tmp_path / "d" / "train.json").read_bytes() == TRAIN
    assert (url_path, "bytes=100-") in hub.requests


def test_checksum_mismatch_keeps_old_data(hub, tmp_path):
    dest = tmp_path / "keep"
    dest.mkdir()
    (dest / "train.json").write_text("[]")
    hub.bad_sha = True
    with pytest.raises(DownloadError, match="sha256 mismatch"):
        download_irishman(dest)
    assert (dest / "train.json").read_text() == "[]"


def test_not_found_and_unreachable(hub, tmp_path, monkeypatch):
    with pytest.raises(DownloadError, match="HTTP 404"):
        fetch(f"{__import__('os').environ['HF_ENDPOINT']}/nothing", tmp_path / "x")
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    with pytest.raises(DownloadError, match="cannot connect"):
        download_irishman(tmp_path / "y")
