"""Model registry and loaders. Every default loads with no network."""
