"""Data files of eolink.search (the gazetteer of the Helsinki region)."""
