"""What the API answers, apart from HTTP: one module per resource.

The routers (:mod:`api.routers`) only parse the request and serialise the answer; the
functions here read the workspace store, compute (through its cache or the bounded
recomputation lane) and return a :class:`api._util.Body` or a pydantic model. Functions
named in a lane job (``(module, function)``) run in a worker process with a store of
their own.
"""
