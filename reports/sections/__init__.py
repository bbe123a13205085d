"""One module per report section; each exposes ``build(ctx) -> list of blocks``."""
