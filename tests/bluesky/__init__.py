"""Tests of the Bluesky channel against a local PDS."""
