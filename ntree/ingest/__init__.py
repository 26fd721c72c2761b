"""Taking real history in (an edge): vendor files (:mod:`.files`) and Alpaca (:mod:`.alpaca`).

Both end in :func:`ntree.db.save_bars` inside one transaction per batch, with prices on the
symbol's tick, and both record the symbol's metadata (:data:`ntree.db.symbol_meta`).
"""
