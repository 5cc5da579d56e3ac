"""Reference EQ match: make a track's tonal balance match a reference track's (work in progress:
the long-term spectrum analysis is here; the effect, its curve design and the CLI come next)."""
