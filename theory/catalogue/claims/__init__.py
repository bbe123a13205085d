"""Claim modules, one per part of the paper. Every module here whose name does not start with ``_`` is
imported by :func:`theory.catalogue.registry` and registers its claims with ``@claim``; nothing lists them by
hand. Modules are imported in name order, and the ``p<N>_`` prefix of each name puts that order in the paper's
order (the order of the catalogue table). See docs/theory.md, "Adding a claim".
"""
