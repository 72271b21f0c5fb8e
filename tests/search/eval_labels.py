"""How the relevance judgements of ``eval_queries.json`` were written (a labelling aid, not used by tests).

Each query below comes with the judgement a reader of the demo products makes,
written as a rule over the catalogue's plain facts (type, platform, time, cloud
cover, tile, orbit, lineage, content) and the gazetteer outline of the place
named — 2 = what the user asked for, 1 = a near miss a user would still want to
see. The rules never call the search code; running this file expands them into
identifiers over a freshly built demo store and rewrites ``eval_queries.json``:

    .venv/bin/python -m tests.search.eval_labels /tmp/demo-data
"""

from __future__ import annotations

import json
import sys
from datetime import datetime, timezone
from pathlib import Path

import shapely

HERE = Path(__file__).parent


def _t(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def judgements(records, place):  # noqa: ANN001, ANN201 - plain helper
    """query -> {identifier: grade}."""
    S = [r for r in records if r.kind == "scene"]
    S2 = [r for r in S if r.platform == "Sentinel-2"]
    S1 = [r for r in S if r.platform == "Sentinel-1"]
    P = {r.product_type: r for r in records if r.kind == "product"}

    def over(rs, name):
        g = place(name)
        return [r for r in rs if r.footprint is not None and shapely.intersects(r.footprint, g)]

    def between(rs, a, b):
        return [r for r in rs if r.start is not None and r.start < b and (r.end or r.start) >= a]

    def ids(rs, grade=2):
        return {r.identifier: grade for r in rs}

    def prod(*types, grade=2):
        return {P[t].identifier: grade for t in types if t in P}

    q: dict[str, dict[str, int]] = {}
    summer21 = (_t(2021, 6, 1), _t(2021, 9, 1))
    espoo_summer = between(over(S2, "Espoo"), *summer21)
    q["Sentinel-2 scenes over Espoo with little cloud in summer 2021"] = {
        **ids([r for r in espoo_summer if r.cloud_cover <= 20], 1), **ids([r for r in espoo_summer if r.cloud_cover <= 10])}
    q["Sentinel-2 images with cloud cover below 20 %"] = ids([r for r in S2 if r.cloud_cover < 20])
    q["cloud-free Sentinel-2 scenes"] = {**ids([r for r in S2 if r.cloud_cover <= 10], 1), **ids([r for r in S2 if r.cloud_cover <= 5])}
    q["Sentinel-1 scenes in February 2021"] = ids(between(S1, _t(2021, 2, 1), _t(2021, 3, 1)))
    q["S1 images of Helsinki between 2018 and 2020"] = ids(between(over(S1, "Helsinki"), _t(2018, 1, 1), _t(2021, 1, 1)))
    q["radar images from summer 2021"] = ids(between(S1, *summer21))
    q["Sentinel-2 scenes of tile 35VLH"] = ids([r for r in S2 if r.mgrs_tile == "35VLH"])
    q["scenes from relative orbit 29"] = ids([r for r in S if r.relative_orbit == 29])
    q["S2A scenes in June 2021"] = ids([r for r in between(S2, _t(2021, 6, 1), _t(2021, 7, 1)) if r.mission == "S2A"])
    q["Sentinel-2 L2A scenes on 2021-06-12"] = ids(between(S2, _t(2021, 6, 12), _t(2021, 6, 13)))
    q["scenes over Porvoo"] = ids(over(S, "Porvoo"))
    q["Sentinel-2 over Kirkkonummi in spring 2021"] = ids(between(over(S2, "Kirkkonummi"), _t(2021, 3, 1), _t(2021, 6, 1)))
    q["scenes used for the crop map"] = ids([r for r in S if r.iri in P["crop-type-map"].derived_from])
    q["input scenes of the change mask"] = ids([r for r in S if r.iri in P["change-mask"].derived_from])
    q["Sentinel-2 scenes with cloud cover under 5 percent over Helsinki"] = ids([r for r in over(S2, "Helsinki") if r.cloud_cover < 5])
    q["Sentinel-1 in winter 2020/21"] = ids(between(S1, _t(2020, 12, 1), _t(2021, 3, 1)))
    q["Sentinel-2 scenes from autumn 2020"] = ids(between(S2, _t(2020, 9, 1), _t(2020, 12, 1)))
    q["images acquired before 2020-10-01"] = ids(between(S, _t(1990, 1, 1), _t(2020, 10, 1)))
    q["S2B acquisitions over Vantaa after May 2021"] = ids([r for r in between(over(S2, "Vantaa"), _t(2021, 6, 1), _t(2100, 1, 1)) if r.mission == "S2B"])
    q["cloudy Sentinel-2 images"] = {**ids([r for r in S2 if r.cloud_cover > 20], 1), **ids([r for r in S2 if r.cloud_cover > 30])}
    q["optical imagery of Kauppatori in August 2021"] = ids(between(over(S2, "Kauppatori"), _t(2021, 8, 1), _t(2021, 9, 1)))
    q["Sentinel-1 GRD dual polarisation scenes"] = ids(S1)
    q["Sentinel-2 Level-2A over Sipoo"] = ids(over(S2, "Sipoo"))
    q["satellite images of Suomenlinna in February 2021"] = {
        **ids(between(over(S, "Suomenlinna"), _t(2021, 2, 1), _t(2021, 3, 1))), **prod("sea-ice-chart", grade=1)}
    # products
    q["maize"] = prod("crop-type-map")
    q["corn fields"] = prod("crop-type-map")
    q["Mais"] = prod("crop-type-map")
    q["maissi"] = prod("crop-type-map")
    q["Kartoffel"] = prod("crop-type-map")
    q["crop type map of spring cereals"] = prod("crop-type-map")
    q["where was winter wheat grown in 2021"] = prod("crop-type-map")
    q["more than 100 ha of grassland"] = prod("crop-type-map")
    q["ice charts with thick first-year ice in the Gulf of Finland, February"] = prod("sea-ice-chart", grade=1)
    q["sea ice chart of the Gulf of Finland"] = prod("sea-ice-chart")
    q["grey-white ice"] = prod("sea-ice-chart")
    q["fast ice near Helsinki"] = prod("sea-ice-chart")
    q["Eiskarte Februar 2021"] = prod("sea-ice-chart")
    q["change masks touching grassland"] = prod("change-mask")
    q["changes in Helsinki in summer 2021"] = prod("change-mask")
    q["construction sites"] = prod("change-mask")
    q["change detection between June and August 2021"] = prod("change-mask")
    q["buildings near Kauppatori"] = prod("osm-extract")
    q["OpenStreetMap data of central Helsinki"] = prod("osm-extract")
    q["harbour"] = prod("osm-extract")
    q["Kauppatori"] = {**prod("change-mask", grade=1), **prod("osm-extract")}
    q["streets of Kaartinkaupunki"] = prod("osm-extract")
    q["products derived from Sentinel-2 scenes of June 2021"] = prod("change-mask", "crop-type-map")
    q["scene catalogue"] = prod("scene-catalogue")
    return q


def main(data_dir: Path) -> None:
    from eolink.search.places import Gazetteer
    from eolink.search.records import build_records
    from eolink.search.service import Searcher
    from eolink.stores import open_store

    with open_store(data_dir / "store") as store:
        records = build_records(store)
        gaz = Searcher(store, None, dense=False)._gazetteer()
    assert isinstance(gaz, Gazetteer)
    out = judgements(records, lambda name: gaz.get(name).geometry)
    (HERE / "eval_queries.json").write_text(json.dumps(
        {"description": "Graded relevance judgements over the demo world (eolink demo): 2 relevant, 1 partly relevant. "
                        "Rules in tests/search/eval_labels.py.", "queries": out}, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(len(out), "queries;", sum(len(v) for v in out.values()), "judgements")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
