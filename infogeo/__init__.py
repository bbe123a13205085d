"""infogeo: verification suite for 'The Information of Large Language Model Geometry'."""
__version__ = "0.1.0"
