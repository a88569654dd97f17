"""Media: probe, normalise, motion features and assembly of canonical clips (PyAV)."""
