"""Finding, downloading and verifying the course's data files.

A file is looked for, in order, in the folder named by the environment variable ``DLCOURSE_DATA``,
in the user cache (``pooch.os_cache('dlcourse')``), and finally downloaded from its official source
into the cache with ``pooch``. Its *decompressed* content must match the SHA-256 in the course's
``SHA256SUMS`` (shipped in this package); otherwise :class:`DataError` says which file, where we
looked and how to fix it.
"""

import gzip
import hashlib
import os
from importlib import resources
from pathlib import Path

ENV_VAR = "DLCOURSE_DATA"

SOURCES = {
    "mnist": "https://ossci-datasets.s3.amazonaws.com/mnist/{name}.gz",
    "fashion-mnist": "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/{name}.gz",
    "tinyshakespeare": "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/{name}",
    "cora": "https://github.com/kimiyoung/planetoid/raw/master/data/{name}",
}


class DataError(RuntimeError):
    """A data file is missing or its content does not match the course's checksum."""


def checksums() -> dict[str, str]:
    """{'mnist/train-images-idx3-ubyte': sha256, ...} from the SHA256SUMS shipped with the package."""
    text = resources.files("dlcourse.data").joinpath("SHA256SUMS").read_text()
    return {name: digest for digest, name in (line.split() for line in text.splitlines() if line.strip())}


def cache_dir() -> Path:
    """The user cache folder where downloaded data files are kept (``pooch.os_cache('dlcourse')``)."""
    import pooch

    return Path(pooch.os_cache("dlcourse"))


def _download(url: str, folder: Path, fname: str) -> Path:
    """Fetch ``url`` into ``folder/fname`` with pooch (the content is verified afterwards)."""
    import pooch

    return Path(pooch.retrieve(url, known_hash=None, fname=fname, path=folder, progressbar=False))


def _candidates(folder: Path, name: str):
    return [folder / name, folder / (name + ".gz")]


def _read(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if path.suffix == ".gz" else data


def _verified(path: Path, name: str, expected: str, searched: list[str]) -> bytes:
    try:
        content = _read(path)
    except (OSError, EOFError, gzip.BadGzipFile) as error:
        raise DataError(_message(name, f"{path} could not be read ({error})", searched)) from error
    digest = hashlib.sha256(content).hexdigest()
    if digest != expected:
        raise DataError(_message(name, f"{path} is corrupt: its content has SHA-256 {digest}, expected {expected}",
                                 searched))
    return content


def _message(name, problem, searched):
    return (f"data file '{name}': {problem}.\nLooked in: {', '.join(searched) or '(nowhere)'}.\n"
            f"Fix: set {ENV_VAR} to the course's data folder (it holds {name} or {name}.gz), or delete the "
            f"bad file and re-run with internet access so it is downloaded into the cache.")


def fetch(name: str) -> bytes:
    """The verified, decompressed content of the course data file ``name`` (e.g. 'mnist/t10k-labels-idx1-ubyte')."""
    return _verified(*_found(name))


def locate(name: str) -> Path:
    """The path of the verified file ``name`` (possibly ``name.gz``), downloading it when needed.

    The grader uses it to hand the very file the loader would read to a sandboxed kernel.
    """
    path, name, expected, searched = _found(name)
    _verified(path, name, expected, searched)
    return path


def _found(name: str) -> tuple[Path, str, str, list[str]]:
    """(path of ``name`` in the data folder, the cache or a fresh download, name, SHA-256, places searched)."""
    expected = checksums().get(name)
    if expected is None:
        raise DataError(f"unknown data file '{name}'; known files: {sorted(checksums())}")
    folders = []
    if os.environ.get(ENV_VAR):
        folders.append(Path(os.environ[ENV_VAR]))
    folders.append(cache_dir())
    searched = [str(f) for f in folders]
    for folder in folders:
        for path in _candidates(folder, name):
            if path.is_file():
                return path, name, expected, searched
    dataset, fname = name.split("/", 1)
    url = SOURCES[dataset].format(name=fname)
    target = cache_dir() / dataset
    try:
        path = _download(url, target, Path(url).name)
    except Exception as error:  # no network, HTTP error, ...
        raise DataError(_message(name, f"not found, and downloading {url} failed ({error})", searched)) from error
    return path, name, expected, searched + [url]
