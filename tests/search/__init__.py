"""Tests of eolink.search (and the labelled evaluation set eval_queries.json)."""
