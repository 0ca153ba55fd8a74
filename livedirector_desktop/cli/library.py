"""`livedirector library`: import, list, search, edit, reindex, sync the B-roll library."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from livedirector_desktop.cli.common import (
    ChromaOpt,
    JsonOpt,
    LibraryOpt,
    console,
    count_bar,
    library_app,
    open_library,
    safe,
    user_settings,
)


@library_app.command("import")
def library_import(
    paths: Annotated[list[Path], typer.Argument(help="Video files and folders.")],
    library: LibraryOpt = None,
    chroma_url: ChromaOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Import clips (each with an optional <name>.json sidecar) into the library."""
    from livedirector_desktop.library.importer import import_paths

    lib = open_library(library, chroma_url)
    with count_bar(disable=json_out and not sys.stderr.isatty()) as bar:
        task = bar.add_task("importing", total=None)

        def progress(done: int, total: int, path: Path | None) -> None:
            bar.update(
                task,
                completed=done,
                total=total,
                description=f"importing {safe(path.name)}" if path else "done",
            )

        report = import_paths(lib, paths, progress)
    if json_out:
        print(json.dumps(report.to_json(), indent=2))
    else:
        con = console()
        con.print(
            f"added {len(report.added)}, updated {len(report.updated)}, "
            f"unchanged {len(report.unchanged)}, failed {len(report.failed)} "
            f"in {report.seconds:.1f} s; library now holds {lib.count()} clips "
            f"({safe(lib.root)})"
        )
        for path, error in report.failed:
            con.print(f"[red]skipped[/] {safe(path)}: {safe(error)}")
        if report.ignored:
            con.print(f"ignored {len(report.ignored)} files that are not videos")
    if report.interrupted:
        console(stderr=True).print(
            "import interrupted: clips imported so far are kept; run it again to finish"
        )
        raise typer.Exit(130)
    if report.failed:
        raise typer.Exit(1)


@library_app.command("list")
def library_list(
    library: LibraryOpt = None,
    chroma_url: ChromaOpt = None,
    json_out: JsonOpt = False,
    undescribed: Annotated[
        bool,
        typer.Option("--undescribed", help="Only the clips that need a description to be found."),
    ] = False,
) -> None:
    """Every clip in the library (or those no search can find yet)."""
    lib = open_library(library, chroma_url, create=False)
    assets = lib.needing_description() if undescribed else lib.assets()
    if json_out:
        print(json.dumps([a.to_json() for a in assets], indent=2))
        return
    from rich.table import Table

    what = "clips that need a description" if undescribed else "clips"
    table = Table(title=f"{len(assets)} {what} in {safe(lib.root)}")
    for col in ("id", "title", "tags", "length", "size"):
        table.add_column(col)
    for a in assets:
        table.add_row(
            safe(a.id),
            safe(a.title) + (" [yellow](needs a description)[/]" if a.needs_description else ""),
            safe(", ".join(a.tags)),
            f"{a.duration_ms / 1000:.1f} s",
            f"{a.width}x{a.height}@{a.fps:g}",
        )
    con = console()
    con.print(table)
    waiting = len(assets) if undescribed else sum(a.needs_description for a in assets)
    if waiting:
        con.print(
            f"{waiting} clip(s) have no words the director can find them by: "
            "`livedirector library edit ID [ID ...] --description TEXT --add-tags a,b`"
        )


@library_app.command("reindex")
def library_reindex(
    embeddings: Annotated[
        str | None,
        typer.Option(help="Switch to this embedding model first (minilm | e5); it is saved."),
    ] = None,
    library: LibraryOpt = None,
    chroma_url: ChromaOpt = None,
) -> None:
    """Rebuild every clip's vector with the embedding model in the settings (after a switch:
    e5 reads ~100 languages, minilm English best); the old index serves until it is done."""
    from livedirector_desktop.config import EMBEDDING_MODELS, save_settings
    from livedirector_desktop.core.errors import BadInputError
    from livedirector_desktop.engine import load_embedder
    from livedirector_desktop.library.library import Library

    settings = user_settings()
    if embeddings is not None:
        if embeddings not in EMBEDDING_MODELS:
            raise BadInputError(
                f"--embeddings {embeddings!r} is not a known model",
                f"use one of: {', '.join(EMBEDDING_MODELS)}",
            )
        settings.embedding_model = embeddings  # type: ignore[assignment]
    lib = Library.open(
        library or settings.library_path,
        load_embedder(settings),
        chroma_url or settings.chroma_url,
        any_model=True,
    )
    before = getattr(lib.store, "stored_model", lib.embedder.name)
    with count_bar() as bar:
        searched = lib.count() - getattr(lib.store, "undescribed_count", lambda: 0)()
        task = bar.add_task(f"embedding with {lib.embedder.name}", total=searched)
        count = lib.reindex(lambda done, total: bar.update(task, completed=done, total=total))
    if embeddings is not None:
        save_settings(settings)
    console().print(
        f"reindexed {count} clips with {lib.embedder.name} (was {before}); "
        f"embedding_model = {settings.embedding_model}"
    )


@library_app.command("search")
def library_search(
    query: Annotated[str, typer.Argument(help="What you are looking for.")],
    k: Annotated[int, typer.Option("-k", help="How many results.")] = 5,
    library: LibraryOpt = None,
    chroma_url: ChromaOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Search the library by meaning."""
    lib = open_library(library, chroma_url, create=False)
    hits = lib.search(query, k)
    if json_out:
        print(
            json.dumps(
                [
                    {
                        "asset_id": h.asset.id,
                        "title": h.asset.title,
                        "score": round(h.score, 4),
                        "path": h.asset.path,
                    }
                    for h in hits
                ],
                indent=2,
            )
        )
        return
    if not hits:
        console().print("no clips (is the library empty? `livedirector library import FOLDER`)")
    for h in hits:
        console().print(f"{h.score:.3f}  {safe(h.asset.id):28s} {safe(h.asset.title)}")


def _tag_list(tags: str | None) -> list[str] | None:
    return [t.strip() for t in tags.split(",") if t.strip()] if tags is not None else None


@library_app.command("edit")
def library_edit(
    asset_ids: Annotated[list[str], typer.Argument(help="One clip's id, or several.")],
    title: Annotated[str | None, typer.Option(help="New title.")] = None,
    description: Annotated[str | None, typer.Option(help="New description.")] = None,
    tags: Annotated[str | None, typer.Option(help="New tags, comma separated.")] = None,
    add_tags: Annotated[
        str | None, typer.Option(help="Tags to add to each clip's own, comma separated.")
    ] = None,
    category: Annotated[str | None, typer.Option(help="New category.")] = None,
    library: LibraryOpt = None,
    chroma_url: ChromaOpt = None,
) -> None:
    """Change the title, description, tags or category of one clip or several at once;
    they are re-indexed (all of them, or none on an error)."""
    lib = open_library(library, chroma_url, create=False)
    assets = lib.edit_many(
        asset_ids,
        title=title,
        description=description,
        tags=_tag_list(tags),
        category=category,
        add_tags=_tag_list(add_tags),
    )
    out = [a.to_json() for a in assets]
    print(json.dumps(out[0] if len(out) == 1 else out, indent=2))


@library_app.command("remove")
def library_remove(
    asset_ids: list[str], library: LibraryOpt = None, chroma_url: ChromaOpt = None
) -> None:
    """Remove clips from the library (the video files are left alone)."""
    lib = open_library(library, chroma_url, create=False)
    unknown = [i for i in asset_ids if lib.get(i) is None]
    if unknown:
        from livedirector_desktop.core.errors import BadInputError

        raise BadInputError(
            f"no such clips: {', '.join(map(repr, unknown))}", "see `livedirector library list`"
        )
    lib.remove(asset_ids)
    print(f"removed {len(asset_ids)} clips")


def _sync(
    library: Path | None, chroma_url: str | None, bucket: str, prefix: str, endpoint_url: str | None
):
    from livedirector_desktop.cloud.s3sync import S3Sync

    return S3Sync(open_library(library, chroma_url), bucket, prefix, endpoint_url or "")


def _print_sync(report, json_out: bool) -> None:
    if json_out:
        print(json.dumps(report.to_json(), indent=2))
        return
    con = console()
    for name in ("uploaded", "downloaded", "updated_metadata", "deleted", "unchanged"):
        items = getattr(report, name)
        if items:
            con.print(
                f"{name.replace('_', ' ')}: {len(items)}  ({safe(', '.join(items[:8]))}"
                f"{', …' if len(items) > 8 else ''})"
            )
    for asset_id, why in report.renamed:
        con.print(f"[yellow]kept your file[/] {safe(asset_id)}: {safe(why)}")
    for asset_id, why in report.conflicts:
        con.print(f"[yellow]conflict[/] {safe(asset_id)}: {safe(why)} (left alone)")
    for asset_id, why in report.failed:
        con.print(f"[red]failed[/] {safe(asset_id)}: {safe(why)}")


BucketOpt = Annotated[str, typer.Option(help="The S3 bucket.")]
PrefixOpt = Annotated[str, typer.Option(help="A folder inside the bucket.")]
EndpointOpt = Annotated[
    str | None, typer.Option(help="An S3-compatible endpoint, e.g. http://127.0.0.1:9000.")
]


@library_app.command("push")
def library_push(
    bucket: BucketOpt,
    prefix: PrefixOpt = "livedirector",
    endpoint_url: EndpointOpt = None,
    library: LibraryOpt = None,
    chroma_url: ChromaOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Upload clips, thumbnails and metadata to S3 (what changed since the last sync)."""
    report = _sync(library, chroma_url, bucket, prefix, endpoint_url).push()
    _print_sync(report, json_out)
    if report.failed or report.conflicts:
        raise typer.Exit(1)


@library_app.command("pull")
def library_pull(
    bucket: BucketOpt,
    prefix: PrefixOpt = "livedirector",
    endpoint_url: EndpointOpt = None,
    into: Annotated[Path | None, typer.Option(help="Folder for downloaded clips.")] = None,
    library: LibraryOpt = None,
    chroma_url: ChromaOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Download what is missing or changed from S3 and index it here."""
    sync = _sync(library, chroma_url, bucket, prefix, endpoint_url)
    report = sync.pull(into or sync.library.root / "pulled")
    _print_sync(report, json_out)
    if report.failed or report.conflicts:
        raise typer.Exit(1)


@library_app.command("samples")
def library_samples(
    out: Annotated[Path, typer.Argument(help="Folder to write the sample clips into.")],
    catalog: Annotated[
        Path | None, typer.Option(help="Catalog JSON (default: the bundled sample library).")
    ] = None,
    seconds: Annotated[float, typer.Option(help="Length of each clip.")] = 4.0,
) -> None:
    """Generate playable sample clips (with sidecars) from a catalog of descriptions."""
    from rich.progress import Progress

    from livedirector_desktop.config import assets_dir
    from livedirector_desktop.library.samples import make_library, read_catalog

    entries = read_catalog(catalog or assets_dir() / "sample_library" / "catalog.json")
    with Progress(console=console(stderr=True), transient=True) as bar:
        task = bar.add_task("making sample clips", total=len(entries))
        paths = make_library(
            entries,
            out,
            seconds=seconds,
            progress=lambda done, total: bar.update(task, completed=done),
        )
    print(f"{len(paths)} sample clips in {out}")


# ---------------------------------------------------------------- director
