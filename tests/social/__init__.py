"""Tests of the Mastodon and X channels against local servers."""
