"""``eolink link``: GeoSPARQL relations (or ``owl:sameAs`` with ``--same-as``) between two feature sets.

SELECTOR is ``graph:IRI``, ``class:IRI``, ``query:@file.rq`` (a SELECT returning
``?feature ?wkt``), a product file, or a bare graph IRI. The links load into the
store's link graph, printed at the end, and are queryable at once.
"""

from __future__ import annotations

from pathlib import Path

import click

from eolink.cli.options import console, data_dir_option, open_store_for

__all__ = ["command"]


@click.command("link")
@click.option("--source", required=True, metavar="SELECTOR", help="graph:IRI, class:IRI, query:@FILE.rq, a file, or a graph IRI.")
@click.option("--target", required=True, metavar="SELECTOR", help="Same forms as --source.")
@click.option("--relations", default="all", show_default=True,
              help="Comma-separated relations (sfIntersects,sfContains,…,ehCoveredBy) or 'all'.")
@click.option("--progressive", "budget", default=None, metavar="BUDGET",
              help="Verify only the best-weighted candidates: a count (5000), a fraction (0.2) or a percentage (20%) "
                   "of the candidate pairs whose MBRs intersect (JedAI-spatial's comparisons).")
@click.option("--weighting", default="cd", show_default=True, type=click.Choice(["cd", "mbr", "cf", "js"]),
              help="Candidate weighting of --progressive.")
@click.option("--curve", is_flag=True, help="With --progressive: also print the recall curve against the exhaustive result.")
@click.option("--dask", default=None, metavar="ADDRESS|local", help="Run on a Dask scheduler, or a local cluster.")
@click.option("--within-days", type=float, default=None, metavar="N",
              help="Time-aware: only pairs whose times are at most N days apart.")
@click.option("--index", default="auto", show_default=True, type=click.Choice(["auto", "strtree", "grid"]))
@click.option("--invalid", default="raise", show_default=True, type=click.Choice(["raise", "repair", "skip"]),
              help="What to do with invalid geometries.")
@click.option("--graph", default=None, metavar="IRI", help="Link graph IRI (default: from the two selections).")
@click.option("--same-as", "same_as", is_flag=True, help="Entity matching: owl:sameAs between features of the same objects.")
@click.option("--threshold", type=float, default=0.5, show_default=True, help="--same-as: score threshold.")
@click.option("--max-distance", type=float, default=500.0, show_default=True, help="--same-as: farthest match, metres.")
@click.option("--truth", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="--same-as: CSV of true (source IRI, target IRI) pairs; prints precision, recall, F1.")
@data_dir_option
def command(
    source: str,
    target: str,
    relations: str,
    budget: str | None,
    weighting: str,
    curve: bool,
    dask: str | None,
    within_days: float | None,
    index: str,
    invalid: str,
    graph: str | None,
    same_as: bool,
    threshold: float,
    max_distance: float,
    truth: Path | None,
    data_dir: Path | None,
) -> None:
    """Link the features of SOURCE and TARGET; the links load into the store."""
    from eolink.interlink.de9im import RELATIONS
    from eolink.interlink.linker import link, link_same_as, read_truth
    from eolink.interlink.progressive import parse_budget

    out = console()
    if same_as:
        pairs = read_truth(truth) if truth is not None else None
        with open_store_for(data_dir) as store, out.status("matching…"):
            match = link_same_as(store, source, target, threshold=threshold, max_distance_m=max_distance,
                                 truth=pairs, invalid=invalid, graph=graph)
        click.echo(f"{match.matches} owl:sameAs links ({match.candidates} compared of {match.blocked} blocked pairs) "
                   f"in <{match.graph}>", err=True)
        if match.evaluation is not None:
            e = match.evaluation
            click.echo(f"precision {e.precision:.3f}  recall {e.recall:.3f}  F1 {e.f1:.3f}")
        return
    names = RELATIONS if relations.strip() == "all" else tuple(r.strip() for r in relations.split(",") if r.strip())
    progressive = parse_budget(budget) if budget is not None else None
    with open_store_for(data_dir) as store, out.status("linking…"):
        run = link(store, source, target, relations=names, progressive=progressive, weighting=weighting, dask=dask,
                   within_days=within_days, index=index, invalid=invalid, graph=graph, curve=curve)
    click.echo(f"{run.total} links ({run.verified} of {run.candidates} candidate pairs verified) in <{run.graph}>", err=True)
    for name, n in run.links.items():
        click.echo(f"  {name}: {n}", err=True)
    if run.curve:
        click.echo("comparisons\tfraction\trecall")
        for point in run.curve:
            click.echo(f"{point.comparisons}\t{point.fraction:g}\t{point.recall:.4f}")
