"""HTTP routes: thin layers over the framework-free modules."""
