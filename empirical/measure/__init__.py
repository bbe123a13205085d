"""Sections 3-4 on real models: the measurement engine and everything it reads.

``measurements`` is the registry (one :class:`~empirical.measure.measurements.Measurement` spec per measurement:
its tables, compute, figure and caption), ``models`` loads a causal LM and reads its hidden states, ``metrics``
adapts token matrices to :mod:`theory`'s formulas, ``texts`` and ``prompts`` are what gets measured, ``config``
holds the paper's parameters (:class:`~empirical.measure.config.MeasureConfig`), ``engine`` runs it all and
writes tidy tables, ``jobs`` keeps the books (job lists, shards, markers with table checksums, merges),
``plots`` draws Figures 1 and 3 to 6, ``report`` is the report's contract (:func:`report_tables`) and ``cli`` is
``python -m empirical measure``. Import each name from its module.
"""
