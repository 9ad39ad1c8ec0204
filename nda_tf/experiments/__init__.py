"""Command-line experiments (absl flags live only here)."""
