"""Share a library through S3: clips, thumbnails and sidecars, with a manifest.

  s3://BUCKET/PREFIX/manifest.json        {"version": 1, "assets": {id: entry}}
  s3://BUCKET/PREFIX/clips/<id><ext>      the clip (multipart above 8 MB)
  s3://BUCKET/PREFIX/sidecars/<id>.json   title, description, tags, category
  s3://BUCKET/PREFIX/thumbnails/<id>.jpg

Each library keeps, per bucket and prefix, the hashes it last synced (`sync-state.json`),
so a push or pull knows which side changed: a clip changed on both sides since the last
sync is a conflict, reported and left alone. Downloads go to a temporary name and are
renamed only after their SHA-256 matches; the manifest is written last, so an interrupted
push leaves the remote as it was plus some uploaded objects a rerun reuses.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from livedirector_desktop.core.errors import LiveDirectorError
from livedirector_desktop.core.files import sha256_file, write_atomic
from livedirector_desktop.library.asset import (
    ID_PATTERN,
    VIDEO_SUFFIXES,
    Asset,
    safe_id,
    sidecar_path,
    write_sidecar,
)
from livedirector_desktop.library.importer import import_paths
from livedirector_desktop.library.library import Library

log = logging.getLogger(__name__)

MULTIPART_BYTES = 8 * 1024 * 1024
Progress = Callable[[str, int, int], None]  # (asset id, done, total)


@dataclass
class SyncReport:
    uploaded: list[str] = field(default_factory=list)
    downloaded: list[str] = field(default_factory=list)
    updated_metadata: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    conflicts: list[tuple[str, str]] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    # Pulled clips saved under another name than the bucket's, and why (a file was there).
    renamed: list[tuple[str, str]] = field(default_factory=list)

    def to_json(self) -> dict:
        return {
            k: v if not (v and isinstance(v[0], tuple)) else [{"id": a, "why": b} for a, b in v]
            for k, v in self.__dict__.items()
        }


def _key(prefix: str, *parts: str) -> str:
    return "/".join(p.strip("/") for p in (prefix, *parts) if p and p.strip("/"))


def _entry_problem(entry: object) -> str:
    """Why a manifest entry cannot be used, or "" if it can."""
    if not isinstance(entry, dict):
        return f"its manifest entry is a {type(entry).__name__}, not an object"
    sha = entry.get("sha256")
    if not isinstance(sha, str) or len(sha) != 64:
        return "its manifest entry has no valid sha256"
    if not isinstance(entry.get("clip_key"), str) or not entry["clip_key"].strip("/"):
        return "its manifest entry has no clip_key"
    if "metadata" in entry and not isinstance(entry["metadata"], dict):
        return "its manifest entry's metadata is not an object"
    return ""


def local_ids(keys: list[str]) -> dict[str, str]:
    """Manifest key -> a safe, unique asset id here (keys are not trusted: `..`, `a/b`)."""
    out: dict[str, str] = {}
    taken: set[str] = set()
    for key in sorted(keys, key=lambda k: (not ID_PATTERN.match(k), k)):
        asset_id = safe_id(key)
        if asset_id in taken:
            asset_id = safe_id(key, force_hash=True)
        taken.add(asset_id)
        out[key] = asset_id
    return out


def _text(meta: dict, name: str, default: str = "") -> str:
    value = meta.get(name)
    return value if isinstance(value, str) else default


def _tags(meta: dict) -> list[str]:
    tags = meta.get("tags")
    return [t for t in tags if isinstance(t, str)] if isinstance(tags, list) else []


class S3Sync:
    def __init__(
        self,
        library: Library,
        bucket: str,
        prefix: str = "",
        endpoint_url: str = "",
        region: str = "",
        client=None,
    ) -> None:
        from livedirector_desktop.cloud.aws import client as make_client

        self.library, self.bucket, self.prefix = library, bucket, prefix.strip("/")
        self.s3 = client or make_client("s3", region, endpoint_url)
        self.state_path = library.root / "sync-state.json"
        self.transfer_callback: Callable[[int], None] | None = None  # bytes moved, for progress

    # ---------------------------------------------------------------- state and manifest

    def _state_key(self) -> str:
        return f"{self.bucket}/{self.prefix}"

    def _load_base(self) -> dict[str, str]:
        try:
            return json.loads(self.state_path.read_text()).get(self._state_key(), {})
        except (OSError, json.JSONDecodeError):
            return {}

    def _save_base(self, base: dict[str, str]) -> None:
        try:
            state = json.loads(self.state_path.read_text())
        except (OSError, json.JSONDecodeError):
            state = {}
        state[self._state_key()] = base
        write_atomic(self.state_path, json.dumps(state, indent=1))

    def _call(self, what: str, fn, *args, **kwargs):
        from boto3.exceptions import Boto3Error
        from botocore.exceptions import BotoCoreError, ClientError

        from livedirector_desktop.cloud.aws import explain

        try:
            return fn(*args, **kwargs)
        # A dropped connection can surface as a plain OSError from a transfer thread,
        # depending on when it drops (boto's retry rewinds the stream): one message either way.
        except (ClientError, BotoCoreError, Boto3Error, OSError) as exc:
            raise explain(exc, f"{what} (s3://{self.bucket}/{self.prefix})") from exc

    def remote_manifest(self) -> dict:
        from botocore.exceptions import ClientError

        try:
            body = self.s3.get_object(Bucket=self.bucket, Key=_key(self.prefix, "manifest.json"))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                self._call("open the bucket", self.s3.head_bucket, Bucket=self.bucket)
                return {"version": 1, "assets": {}}
            from livedirector_desktop.cloud.aws import explain

            raise explain(exc, f"read the manifest (s3://{self.bucket}/{self.prefix})") from exc
        except Exception as exc:
            from livedirector_desktop.cloud.aws import explain

            raise explain(exc, f"read the manifest (s3://{self.bucket}/{self.prefix})") from exc
        where = f"s3://{self.bucket}/{_key(self.prefix, 'manifest.json')}"
        try:
            manifest = json.loads(body["Body"].read())
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise LiveDirectorError(
                f"{where} is corrupt (not JSON)",
                "push from a library that has the clips to rewrite it",
            ) from exc
        if not isinstance(manifest, dict):
            raise LiveDirectorError(
                f"{where} holds a JSON {type(manifest).__name__}, not an object",
                "is this a LiveDirector bucket and prefix? push from a library to rewrite it",
            )
        manifest.setdefault("assets", {})
        if not isinstance(manifest["assets"], dict):
            raise LiveDirectorError(
                f"{where}: 'assets' must be an object of id -> entry",
                "push from a library that has the clips to rewrite it",
            )
        return manifest

    def _write_manifest(self, manifest: dict) -> None:
        manifest["updated_at"] = time.time()
        self._call(
            "write the manifest",
            self.s3.put_object,
            Bucket=self.bucket,
            Key=_key(self.prefix, "manifest.json"),
            Body=json.dumps(manifest, indent=1).encode(),
            ContentType="application/json",
        )

    @staticmethod
    def _meta(asset: Asset) -> dict:
        return {
            "title": asset.title,
            "description": asset.description,
            "tags": asset.tags,
            "category": asset.category,
        }

    # ---------------------------------------------------------------- push

    def push(self, progress: Progress | None = None) -> SyncReport:
        from boto3.s3.transfer import TransferConfig

        report = SyncReport()
        manifest = self.remote_manifest()
        remote: dict = manifest["assets"]
        base = self._load_base()
        local = {a.id: a for a in self.library.assets()}
        transfer = TransferConfig(
            multipart_threshold=MULTIPART_BYTES, multipart_chunksize=MULTIPART_BYTES
        )
        for n, (asset_id, asset) in enumerate(sorted(local.items())):
            if progress:
                progress(asset_id, n, len(local))
            entry = remote.get(asset_id)
            if _entry_problem(entry):
                entry = None  # malformed (or absent): this push writes a good one
            last = base.get(asset_id)
            if entry and entry["sha256"] == asset.sha256:
                if entry.get("metadata") != self._meta(asset):
                    entry["metadata"] = self._meta(asset)
                    self._put_sidecar(asset)
                    report.updated_metadata.append(asset_id)
                else:
                    report.unchanged.append(asset_id)
                base[asset_id] = asset.sha256
                continue
            if entry and entry["sha256"] != last:
                why = (
                    "changed on both sides since the last sync"
                    if last and asset.sha256 != last
                    else "changed in the bucket: pull it first"
                )
                if last is None:
                    why = "the bucket has a different clip under this id"
                report.conflicts.append((asset_id, why))
                continue
            path = Path(asset.path)
            if not path.is_file():
                report.failed.append((asset_id, f"clip file {path} is missing"))
                continue
            clip_key = _key(self.prefix, "clips", f"{asset_id}{path.suffix.lower()}")
            self._call(
                f"upload {asset_id}",
                self.s3.upload_file,
                str(path),
                self.bucket,
                clip_key,
                ExtraArgs={"Metadata": {"sha256": asset.sha256}},
                Config=transfer,
                Callback=self.transfer_callback,
            )
            thumb_key = ""
            if asset.thumbnail and Path(asset.thumbnail).is_file():
                thumb_key = _key(self.prefix, "thumbnails", f"{asset_id}.jpg")
                self._call(
                    f"upload {asset_id}",
                    self.s3.upload_file,
                    asset.thumbnail,
                    self.bucket,
                    thumb_key,
                )
            self._put_sidecar(asset)
            remote[asset_id] = {
                "sha256": asset.sha256,
                "size_bytes": asset.size_bytes,
                "clip_key": clip_key,
                "thumbnail_key": thumb_key,
                "sidecar_key": _key(self.prefix, "sidecars", f"{asset_id}.json"),
                "metadata": self._meta(asset),
                "updated_at": time.time(),
            }
            base[asset_id] = asset.sha256
            report.uploaded.append(asset_id)
        # Removed here since the last sync, and unchanged there: remove there too.
        for asset_id in sorted(set(base) - set(local)):
            entry = remote.get(asset_id)
            if not _entry_problem(entry) and entry["sha256"] == base[asset_id]:
                keys = [entry.get(k) for k in ("clip_key", "thumbnail_key", "sidecar_key")]
                keys = [k for k in keys if isinstance(k, str)]
                self._call(
                    f"delete {asset_id}",
                    self.s3.delete_objects,
                    Bucket=self.bucket,
                    Delete={"Objects": [{"Key": k} for k in keys if k]},
                )
                del remote[asset_id]
                report.deleted.append(asset_id)
            base.pop(asset_id, None)
        self._write_manifest(manifest)
        self._save_base(base)
        return report

    def _put_sidecar(self, asset: Asset) -> None:
        body = json.dumps({"id": asset.id, **self._meta(asset)}, indent=2).encode()
        self._call(
            f"upload {asset.id}",
            self.s3.put_object,
            Bucket=self.bucket,
            Key=_key(self.prefix, "sidecars", f"{asset.id}.json"),
            Body=body,
            ContentType="application/json",
        )

    # ---------------------------------------------------------------- pull

    def pull(self, into: Path, progress: Progress | None = None) -> SyncReport:
        """Download what is new or changed there. A clip new here goes into `into` under a
        safe name of its own: a file already there (the user's) is never replaced, the clip
        gets the next free name instead and the report says so."""
        report = SyncReport()
        remote = self._remote_entries(report)
        base = self._load_base()
        local = {a.id: a for a in self.library.assets()}
        into = _writable_folder(Path(into))
        fetched: list[Path] = []
        planned: set[str] = set()  # file names given out in this pull
        for n, (asset_id, entry) in enumerate(sorted(remote.items())):
            if progress:
                progress(asset_id, n, len(remote))
            mine = local.get(asset_id)
            last = base.get(asset_id)
            meta = entry.get("metadata") or {}
            if mine and mine.sha256 == entry["sha256"]:
                wanted = {
                    "title": _text(meta, "title", mine.title),
                    "description": _text(meta, "description", mine.description),
                    "tags": _tags(meta) if "tags" in meta else mine.tags,
                    "category": _text(meta, "category", mine.category),
                }
                if meta and self._meta(mine) != wanted:
                    self.library.update_metadata(asset_id, **wanted)
                    report.updated_metadata.append(asset_id)
                else:
                    report.unchanged.append(asset_id)
                base[asset_id] = entry["sha256"]
                continue
            if mine and mine.sha256 != last:
                why = (
                    "changed on both sides since the last sync"
                    if last
                    else "this library has a different clip under this id"
                )
                report.conflicts.append((asset_id, why))
                continue
            if mine:
                target = Path(mine.path)  # this library's own copy, unchanged since the sync
            else:
                target = self._free_target(into, asset_id, entry["clip_key"], planned)
                wanted_name = f"{asset_id}{_suffix(entry['clip_key'])}"
                if target.name != wanted_name:
                    report.renamed.append(
                        (asset_id, f"saved as {target.name}: {wanted_name} already exists")
                    )
            planned.add(target.name)
            try:
                self._download(entry, target)
            except LiveDirectorError as exc:
                report.failed.append((asset_id, exc.message))
                continue
            write_sidecar(
                Asset(
                    id=asset_id,
                    title=_text(meta, "title", asset_id),
                    path=str(target),
                    description=_text(meta, "description"),
                    tags=_tags(meta),
                    category=_text(meta, "category"),
                ),
                sidecar_path(target),
            )
            fetched.append(target)
            base[asset_id] = entry["sha256"]
            report.downloaded.append(asset_id)
        if fetched:
            imported = import_paths(self.library, fetched)
            failed_paths = {str(Path(p)) for p, _ in imported.failed}
            report.downloaded = [
                a
                for a, p in zip(report.downloaded, fetched, strict=True)
                if str(p.resolve()) not in failed_paths and str(p) not in failed_paths
            ]
            report.failed += [(Path(p).stem, m) for p, m in imported.failed]
        # Deleted there since the last sync, unchanged here: remove here too (the file stays).
        for asset_id in sorted(set(base) - set(remote)):
            mine = local.get(asset_id)
            if mine and mine.sha256 == base[asset_id]:
                self.library.remove([asset_id])
                report.deleted.append(asset_id)
            base.pop(asset_id, None)
        self._save_base(base)
        return report

    def _remote_entries(self, report: SyncReport) -> dict[str, dict]:
        """The manifest's clips by local id; a broken entry is reported, not pulled."""
        raw: dict = self.remote_manifest()["assets"]
        ids = local_ids([str(k) for k in raw])
        remote: dict[str, dict] = {}
        for key, entry in raw.items():
            problem = _entry_problem(entry)
            if problem:
                report.failed.append((ids[str(key)], f"{problem}; push it again from its library"))
            else:
                remote[ids[str(key)]] = entry
        return remote

    @staticmethod
    def _free_target(into: Path, asset_id: str, clip_key: str, planned: set[str]) -> Path:
        """`into/<id><ext>`, or `<id>-2<ext>`, ... : a name whose clip and sidecar are free."""
        suffix = _suffix(clip_key)
        for n in range(1, 1000):
            name = f"{asset_id}{suffix}" if n == 1 else f"{asset_id}-{n}{suffix}"
            target = into / name
            if name in planned or target.exists() or target.is_symlink():
                continue
            side = sidecar_path(target)
            if side.exists() or side.is_symlink():
                continue
            return target
        raise LiveDirectorError(f"no free file name for {asset_id} in {into}")

    def _download(self, entry: dict, target: Path) -> None:
        """To a temporary name, checked against its hash, then renamed into place."""
        tmp = target.with_name(f".{target.name}.partial")
        try:
            self._call(
                f"download {target.name}",
                self.s3.download_file,
                self.bucket,
                entry["clip_key"],
                str(tmp),
                Callback=self.transfer_callback,
            )
            if sha256_file(tmp) != entry["sha256"]:
                raise LiveDirectorError(
                    f"{target.name}: downloaded data does not match its hash", "run the pull again"
                )
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)


def _writable_folder(into: Path) -> Path:
    try:
        into.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise LiveDirectorError(
            f"cannot make the folder {into}: {exc.strerror or exc}",
            "give --into a folder you can write to",
        ) from exc
    if not into.is_dir():
        raise LiveDirectorError(f"{into} is a file, not a folder", "give --into a folder")
    return into


def _suffix(clip_key: str) -> str:
    """The clip's extension from its key, if it is a video one (keys are not trusted)."""
    suffix = Path(clip_key).suffix.lower()
    return suffix if suffix in VIDEO_SUFFIXES else ".mp4"
