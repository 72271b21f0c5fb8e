"""eolink — semantic linked geodata for Copernicus Earth-observation products.

The package mirrors the pipeline a product travels through::

    etl.readers -> feature table -> etl.rml -> RDF -> stores -> sparql -> app

>>> import eolink
>>> eolink.__version__
'0.1.0'
"""

__all__ = ["__version__"]

__version__ = "0.1.0"
