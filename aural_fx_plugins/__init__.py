"""aural-fx's built-in effects, registered through the ``aural_fx`` entry points exactly as a
third-party plugin package would be."""
