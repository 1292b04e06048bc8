"""Measuring strength: matches between players and Elo ratings."""
