"""Shared pieces of aural-fx's neural effects: the STFT they are trained and run with
(``spectral``), exact chunked streaming of frame models (``stream``) and network building
blocks (``layers``)."""
