"""Campaign analytics warehouse."""
