"""Sections 3-4 against data: ``fit/`` (scaling laws on published Pythia results), ``measure/`` (the engine),
``minipythia/`` (the CPU-trained model family measured by default).

``empirical.io`` reads every table and checks every checksum of the shipped data.
"""
